import type { AppManifest } from '../manifest/index.js';
import { bitcoinRpcPort } from './bitcoin-sync.js';
import type { HealthCheck } from './health-monitor.js';

/**
 * The check the monitor runs for an app, from its manifest's `health` block: the manifest's
 * own probe, or for `bitcoin: {}` getblockchaininfo on the node's RPC port, from the `bitcoin`
 * block and command (the manifest schema guarantees that block is there). Undefined when the
 * app declares no check.
 */
export function healthCheckFor(manifest: AppManifest): HealthCheck | undefined {
  const health = manifest.health;
  if (!health) return undefined;
  const { bitcoin: bitcoinProbe, ...rest } = health;
  const port = bitcoinProbe ? bitcoinRpcPort(manifest) : undefined;
  if (port !== undefined) return { ...rest, bitcoinRpc: { port } };
  return rest;
}
