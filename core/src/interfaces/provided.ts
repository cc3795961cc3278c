// What a provider exports, resolved from its manifest as the registry holds it (the record's
// chain settings already applied to the bitcoin: block): ports with their defaults, the chain,
// ZMQ topics, a Lightning node's files. Pure; the rest of the module reads only this.

import { CHAIN_PARAMS } from '../bitcoin/chain-settings.js';
import type { AppManifest, ChainNetwork, VolumeFileSpec } from '../manifest/index.js';
import { ZMQ_TOPICS } from '../manifest/index.js';

export type ZmqTopic = (typeof ZMQ_TOPICS)[number];

export interface BitcoinNodeExport {
  kind: 'bitcoin-node';
  rpcPort: number;
  p2pPort: number;
  chain: ChainNetwork;
  /** Topic → port, in ZMQ_TOPICS order; only the topics the provider publishes. */
  zmq: Array<{ topic: ZmqTopic; port: number }>;
}

export interface LightningNodeExport {
  kind: 'lightning-node';
  grpcPort?: number;
  restPort?: number;
  tlsCert?: VolumeFileSpec;
  credential?: VolumeFileSpec & { kind: 'macaroon' | 'rune' };
  chain?: ChainNetwork;
}

export interface PortExport {
  kind: 'port';
  port: number;
}

export type ProvidedExport = BitcoinNodeExport | LightningNodeExport | PortExport;

/** The bitcoin-node export of a Bitcoin node: any app with a bitcoin: block that provides bitcoin-node. */
export function bitcoinNodeExport(manifest: AppManifest): BitcoinNodeExport | undefined {
  const bitcoin = manifest.bitcoin;
  if (!bitcoin || !manifest.provides.includes('bitcoin-node')) return undefined;
  const declared = manifest.exports?.['bitcoin-node'];
  // testnet3 is not an install choice any more; its ports are bitcoind's (18332/18333).
  const defaults =
    bitcoin.network === 'testnet' ? { rpcPort: 18332, p2pPort: 18333 } : CHAIN_PARAMS[bitcoin.network];
  const zmq = declared?.zmq ?? {};
  return {
    kind: 'bitcoin-node',
    rpcPort: declared?.rpcPort ?? bitcoin.rpcPort ?? defaults.rpcPort,
    p2pPort: declared?.p2pPort ?? bitcoin.p2pPort ?? defaults.p2pPort,
    chain: bitcoin.network,
    zmq: ZMQ_TOPICS.flatMap((topic) => (zmq[topic] === undefined ? [] : [{ topic, port: zmq[topic] }])),
  };
}

/** Every interface the app provides, with what it exports (an interface without exports is absent). */
export function providedExports(manifest: AppManifest): Map<string, ProvidedExport> {
  const found = new Map<string, ProvidedExport>();
  for (const name of manifest.provides) {
    if (name === 'bitcoin-node') {
      const bitcoin = bitcoinNodeExport(manifest);
      if (bitcoin) found.set(name, bitcoin);
      continue;
    }
    const declared = manifest.exports?.[name];
    if (!declared) continue;
    if (name === 'lightning-node') {
      const lightning = manifest.exports?.['lightning-node'];
      if (!lightning) continue;
      found.set(name, {
        kind: 'lightning-node',
        ...(lightning.grpcPort !== undefined && { grpcPort: lightning.grpcPort }),
        ...(lightning.restPort !== undefined && { restPort: lightning.restPort }),
        ...(lightning.tlsCert && { tlsCert: lightning.tlsCert }),
        ...(lightning.credential && { credential: lightning.credential }),
        ...(manifest.lightning && { chain: manifest.lightning.network }),
      });
      continue;
    }
    if ('port' in declared && typeof declared.port === 'number')
      found.set(name, { kind: 'port', port: declared.port });
  }
  return found;
}

/**
 * What a provider hands a dependent that asked for `requested`: the interface of that name, or —
 * asked for by app id (`bitcoin-core`) — a Bitcoin node's bitcoin-node export.
 */
export function exportFor(provider: AppManifest, requested: string): ProvidedExport | undefined {
  return (
    providedExports(provider).get(requested) ??
    (requested === provider.id ? bitcoinNodeExport(provider) : undefined)
  );
}
