// A Bitcoin node's chain and pruning: chosen at install, read by the manifest, the bitcoin and
// orchestrator layers and shown by every client.

/** The chains a node can be installed on (testnet3 is not offered: it is being retired). */
export const BITCOIN_NETWORKS = ['mainnet', 'testnet4', 'signet', 'regtest'] as const;
export type BitcoinNetwork = (typeof BITCOIN_NETWORKS)[number];

/** The smallest prune target bitcoind accepts is 550 MiB; we offer whole GB from 1. */
export const MIN_PRUNE_GB = 1;

export interface BitcoinSettings {
  network: BitcoinNetwork;
  /** Prune target in GB (10^9 bytes); absent: a full node that keeps every block. */
  prune?: number;
}
