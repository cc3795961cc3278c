import type { AppManifest } from '../manifest/index.js';
import { bitcoinCliCommand } from './bitcoin-sync.js';
import type { HealthCheck } from './health-monitor.js';

/**
 * The check the monitor runs for an app, from its manifest's `health` block: the manifest's
 * own probe, or for `bitcoin: {}` the bitcoin-cli command built from the `bitcoin` block (the
 * manifest schema guarantees that block is there). Undefined when the app declares no check.
 */
export function healthCheckFor(manifest: AppManifest): HealthCheck | undefined {
  const health = manifest.health;
  if (!health) return undefined;
  const { bitcoin: bitcoinProbe, ...rest } = health;
  if (bitcoinProbe && manifest.bitcoin)
    return { ...rest, bitcoinRpc: { command: bitcoinCliCommand(manifest.bitcoin) } };
  return rest;
}
