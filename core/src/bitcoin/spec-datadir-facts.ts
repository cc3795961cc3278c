// Test fixture (specs only): the facts of a healthy mainnet datadir, for the pure planners.
import type { DatadirFacts } from './datadir-inspect.js';

export const datadirFacts = (overrides: Partial<DatadirFacts> = {}): DatadirFacts => ({
  datadir: '/data',
  exists: true,
  network: 'mainnet',
  networksPresent: ['mainnet'],
  banners: [],
  xorKey: 'non-zero',
  coinstatsIndex: false,
  hasBlocks: true,
  prune: { setting: 0, source: 'default', blockFilesPruned: false, pruned: false },
  ...overrides,
});

/** A node pruned to 550 MB by its bitcoin.conf. */
export const prunedDatadirFacts = (): DatadirFacts =>
  datadirFacts({ prune: { setting: 550, source: 'bitcoin.conf', blockFilesPruned: false, pruned: true } });
