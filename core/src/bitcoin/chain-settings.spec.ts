import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import {
  applyBitcoinSettings,
  checkChainMatchesData,
  planPruneChange,
  pruneMiB,
  requestedSettings,
  settingsOfManifest,
} from './chain-settings.js';

const manifest = parseManifest(
  [
    'id: bitcoin-core',
    'name: Bitcoin Core',
    'version: "31.1"',
    'image: localhost/archipelago/bitcoin-core:31.1',
    'command: [bitcoind, -datadir=/data, -server=1, -regtest, -prune=550]',
    'ports:',
    '  - { container: 8333, host: 8333 }',
    '  - { container: 8332, host: 8332, expose: local }',
    '  - { container: 9000, host: 9000 }',
    'volumes: [{ mount: /data, name: bitcoin }]',
    'bitcoin: { implementation: core, network: mainnet, rpcPort: 8332, p2pPort: 8333, datadir: /data }',
    '',
  ].join('\n'),
  'manifest.yml',
);

describe('a Bitcoin node’s chain and pruning', () => {
  it('replaces the chain and prune flags and moves the chain’s ports, leaving other ports alone', () => {
    const signet = applyBitcoinSettings(manifest, { network: 'signet', prune: 10 });
    expect(signet.command).toEqual([
      'bitcoind',
      '-datadir=/data',
      '-server=1',
      '-chain=signet',
      '-prune=9536',
    ]);
    expect(signet.ports.map((p) => [p.container, p.host, p.expose])).toEqual([
      [38333, 38333, 'lan'],
      [38332, 38332, 'local'],
      [9000, 9000, 'lan'],
    ]);
    expect(signet.bitcoin).toMatchObject({ network: 'signet', rpcPort: 38332, p2pPort: 38333 });
    const full = applyBitcoinSettings(manifest, { network: 'mainnet' });
    expect(full.command).toEqual(['bitcoind', '-datadir=/data', '-server=1', '-chain=main']);
  });

  it('counts GB as 10^9 bytes and bitcoind’s -prune as MiB', () => {
    expect(pruneMiB(1)).toBe(953);
    expect(pruneMiB(550)).toBe(524520);
  });

  it('reads the manifest’s own settings, and refuses the choices for an app that is no node', () => {
    // -prune=550 (MiB) is about 0.58 GB: shown as 1 GB.
    expect(settingsOfManifest(manifest)).toEqual({ network: 'mainnet', prune: 1 });
    expect(requestedSettings(manifest, {})).toBeUndefined();
    expect(requestedSettings(manifest, { prune: 5 })).toEqual({ network: 'mainnet', prune: 5 });
    expect(requestedSettings(manifest, { network: 'regtest', prune: 0 })).toEqual({ network: 'regtest' });
    const { bitcoin: _bitcoin, ...notANode } = manifest;
    expect(() => requestedSettings(notANode, { network: 'signet' })).toThrow(
      "'bitcoin-core' is not a Bitcoin node; --network and --prune apply to apps such as bitcoin-core and bitcoin-knots",
    );
  });

  it('keeps a datadir’s chain', () => {
    expect(() => checkChainMatchesData('bitcoin-core', '/d', 'mainnet', [])).not.toThrow();
    expect(() => checkChainMatchesData('bitcoin-core', '/d', 'regtest', ['regtest'])).not.toThrow();
    expect(() => checkChainMatchesData('bitcoin-core', '/d', 'mainnet', ['regtest'])).toThrow(
      "the data kept in /d holds a regtest chain, so 'bitcoin-core' cannot be installed for mainnet on it; install with --network regtest",
    );
  });

  it('turns pruning on or resizes it freely, and off only when the user accepts a full re-download', () => {
    expect(planPruneChange('bitcoin-core', { network: 'mainnet' }, 10, { prunedData: false })).toMatchObject({
      settings: { network: 'mainnet', prune: 10 },
      firstStartArgs: [],
    });
    expect(() =>
      planPruneChange('bitcoin-core', { network: 'mainnet', prune: 10 }, 0, { prunedData: true }),
    ).toThrow('confirm with --confirm-resync bitcoin-core');
    expect(
      planPruneChange('bitcoin-core', { network: 'mainnet', prune: 10 }, 0, {
        prunedData: true,
        confirmResync: 'bitcoin-core',
      }),
    ).toMatchObject({ settings: { network: 'mainnet' }, firstStartArgs: ['-reindex'] });
    expect(planPruneChange('bitcoin-core', { network: 'mainnet' }, 0, { prunedData: false }).message).toBe(
      'not pruning; nothing changed',
    );
  });
});
