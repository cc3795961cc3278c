import { BITCOIN_NETWORKS, MIN_PRUNE_GB } from '@archipelago/core/contract';
import { describe, expect, it } from 'vitest';
import { catalogEntry } from '../test/fixtures';
import {
  NETWORK_CHOICES,
  chainParams,
  describePrune,
  isBitcoinNode,
  parsePruneGb,
  pruneChangeKind,
} from './bitcoin-settings';

describe('bitcoin settings', () => {
  it('a node is what provides bitcoin-node, or a bitcoin app that needs none', () => {
    expect(
      isBitcoinNode(catalogEntry('bitcoin-core', { provides: ['bitcoin-node'], category: 'bitcoin' })),
    ).toBe(true);
    expect(isBitcoinNode(catalogEntry('btcd', { category: 'bitcoin' }))).toBe(true);
    expect(
      isBitcoinNode(catalogEntry('electrs', { category: 'bitcoin', dependencies: [{ id: 'bitcoin-node' }] })),
    ).toBe(false);
    expect(isBitcoinNode(catalogEntry('hello'))).toBe(false);
  });

  it('offers every chain the daemon takes, mainnet first, each with what it is for', () => {
    expect(NETWORK_CHOICES.map((choice) => choice.network)).toEqual([...BITCOIN_NETWORKS]);
    expect(NETWORK_CHOICES[0]!.network).toBe('mainnet');
    for (const choice of NETWORK_CHOICES) expect(choice.purpose.length).toBeGreaterThan(20);
  });

  it('takes a whole number of GB, at least the minimum', () => {
    expect(parsePruneGb('10')).toEqual({ ok: true, gb: 10 });
    expect(parsePruneGb(` ${MIN_PRUNE_GB} `)).toEqual({ ok: true, gb: MIN_PRUNE_GB });
    expect(parsePruneGb('')).toMatchObject({ ok: false, error: 'Enter a size in GB.' });
    expect(parsePruneGb('2.5')).toMatchObject({ ok: false, error: 'Enter a whole number of GB.' });
    expect(parsePruneGb('abc')).toMatchObject({ ok: false });
    expect(parsePruneGb(String(MIN_PRUNE_GB - 1))).toMatchObject({
      ok: false,
      error: `Enter at least ${MIN_PRUNE_GB} GB.`,
    });
  });

  it('sends chain and pruning for a node only', () => {
    expect(chainParams(true, { network: 'signet', prune: true, pruneGb: 5 })).toEqual({
      network: 'signet',
      prune: 5,
    });
    // What the manifest already says is not sent: a regtest manifest stays regtest unless changed.
    expect(
      chainParams(true, { network: 'regtest', prune: false, pruneGb: 5 }, { network: 'regtest' }),
    ).toEqual({});
    expect(
      chainParams(true, { network: 'regtest', prune: false, pruneGb: 5 }, { network: 'regtest', prune: 3 }),
    ).toEqual({ prune: 0 });
    expect(chainParams(true, { network: 'mainnet', prune: false, pruneGb: 5 })).toEqual({});
    expect(chainParams(false, { network: 'signet', prune: true, pruneGb: 5 })).toEqual({});
  });

  it('names a prune change', () => {
    expect(pruneChangeKind(undefined, 0)).toBe('same');
    expect(pruneChangeKind(undefined, 10)).toBe('on');
    expect(pruneChangeKind(10, 20)).toBe('resize');
    expect(pruneChangeKind(10, 10)).toBe('same');
    expect(pruneChangeKind(10, 0)).toBe('off');
    expect(describePrune(undefined)).toBe('Off: keeps every block');
    expect(describePrune(10)).toBe('Pruned to 10 GB: keeps only the newest blocks');
  });
});
