import { describe, expect, it } from 'vitest';
import { bitcoinRpcPort, blockchainInfoSync, describeSync, parseBlockchainInfo } from './bitcoin-sync.js';

// Shaped like bitcoin-cli's pretty-printed answer on a node in initial block download.
const IBD_ANSWER = JSON.stringify(
  {
    chain: 'main',
    blocks: 612_000,
    headers: 870_000,
    bestblockhash: '00000000000000000008a5bb1a4a2c0e5d2f3e4f5a6b7c8d9e0f1a2b3c4d5e6f',
    difficulty: 1.5e13,
    verificationprogress: 0.4213,
    initialblockdownload: true,
    size_on_disk: 350_000_000_000,
    pruned: false,
    warnings: '',
  },
  null,
  2,
);

describe('bitcoinRpcPort', () => {
  const manifest = (bitcoin: object, command?: string[]) =>
    ({ bitcoin: { implementation: 'core', ...bitcoin }, command }) as Parameters<typeof bitcoinRpcPort>[0];

  it("is the chain's default port, the bitcoin block's rpcPort, or bitcoind's own -rpcport", () => {
    expect(bitcoinRpcPort(manifest({ network: 'mainnet' }))).toBe(8332);
    expect(bitcoinRpcPort(manifest({ network: 'regtest' }))).toBe(18443);
    expect(bitcoinRpcPort(manifest({ network: 'testnet4' }))).toBe(48332);
    expect(bitcoinRpcPort(manifest({ network: 'signet', rpcPort: 38999 }))).toBe(38999);
    expect(
      bitcoinRpcPort(
        manifest({ network: 'mainnet', rpcPort: 8332 }, ['bitcoind', '-rpcport=9000', '--rpcport=9001']),
      ),
    ).toBe(9001);
  });

  it('is undefined without a bitcoin block', () => {
    expect(bitcoinRpcPort({ command: ['bitcoind'] })).toBeUndefined();
  });
});

describe('parseBlockchainInfo', () => {
  it('reads the sync fields of a getblockchaininfo answer', () => {
    expect(parseBlockchainInfo(IBD_ANSWER)).toEqual({
      chain: 'main',
      blocks: 612_000,
      headers: 870_000,
      verificationProgress: 0.4213,
      initialBlockDownload: true,
      pruned: false,
    });
  });

  it('clamps a progress estimate a hair above 1 at the tip', () => {
    const answer = JSON.stringify({
      chain: 'regtest',
      blocks: 101,
      headers: 101,
      verificationprogress: 1.0000001,
      initialblockdownload: false,
      pruned: true,
    });
    expect(parseBlockchainInfo(answer)).toMatchObject({ verificationProgress: 1, pruned: true });
  });

  it('is undefined for anything that is not such an answer', () => {
    for (const output of [
      '',
      'error code: -28\nerror message:\nLoading block index…',
      '[]',
      'null',
      '{"chain":"main","blocks":"612000","headers":870000,"verificationprogress":0.4}',
      '{"chain":"main","blocks":1,"headers":1}',
    ])
      expect(parseBlockchainInfo(output), output).toBeUndefined();
  });

  it('reads a JSON-RPC result object the same way', () => {
    expect(blockchainInfoSync(JSON.parse(IBD_ANSWER))).toEqual(parseBlockchainInfo(IBD_ANSWER));
    expect(blockchainInfoSync(null)).toBeUndefined();
  });
});

describe('describeSync', () => {
  it('says how far the node is, and whether it is still in initial block download', () => {
    expect(describeSync(parseBlockchainInfo(IBD_ANSWER)!)).toBe(
      'main: synced 42.1 %, block 612000 of 870000 (initial block download)',
    );
    expect(
      describeSync({
        chain: 'signet',
        blocks: 200_000,
        headers: 200_000,
        verificationProgress: 0.99999,
        initialBlockDownload: false,
        pruned: false,
      }),
    ).toBe('signet: synced 100 %, block 200000');
  });
});
