// What a Bitcoin node's `getblockchaininfo` says about its sync, read from the bitcoin probe's
// answer. The probe already has the answer in hand every interval, so reporting progress costs
// nothing extra — no second RPC connection, no credentials in the daemon.

import type { ChainSync } from '../api/contract.js';
import type { BitcoinSpec, ChainNetwork } from '../manifest/index.js';

/** bitcoin-cli's `-chain=` name for each manifest network. */
const CHAIN_NAMES: Record<ChainNetwork, string> = {
  mainnet: 'main',
  testnet: 'test',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
};

/**
 * The command the bitcoin probe runs inside the container. bitcoin-cli reads the cookie bitcoind
 * writes into its datadir, so the probe needs no password of its own.
 */
export function bitcoinCliCommand(bitcoin: BitcoinSpec): string[] {
  return [
    'bitcoin-cli',
    `-datadir=${bitcoin.datadir ?? '/data'}`,
    `-chain=${CHAIN_NAMES[bitcoin.network]}`,
    ...(bitcoin.rpcPort !== undefined ? [`-rpcport=${bitcoin.rpcPort}`] : []),
    'getblockchaininfo',
  ];
}

const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/** The sync fields of a getblockchaininfo answer, or undefined when it is not one. */
export function parseBlockchainInfo(output: string): ChainSync | undefined {
  let info: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(output);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    info = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { chain, blocks, headers, verificationprogress, initialblockdownload, pruned } = info;
  if (typeof chain !== 'string' || !isFiniteNumber(blocks) || !isFiniteNumber(headers)) return undefined;
  if (!isFiniteNumber(verificationprogress)) return undefined;
  return {
    chain,
    blocks,
    headers,
    // bitcoind estimates; it can read a hair above 1 at the tip.
    verificationProgress: Math.min(Math.max(verificationprogress, 0), 1),
    initialBlockDownload: initialblockdownload === true,
    pruned: pruned === true,
  };
}

/** One line for the probe's detail, e.g. "synced 42.1 %: block 612000 of 870000 (initial block download)". */
export function describeSync(sync: ChainSync): string {
  const percent = (sync.verificationProgress * 100).toFixed(sync.verificationProgress >= 0.9995 ? 0 : 1);
  const where =
    sync.headers > sync.blocks ? `block ${sync.blocks} of ${sync.headers}` : `block ${sync.blocks}`;
  const phase = sync.initialBlockDownload ? ' (initial block download)' : '';
  return `${sync.chain}: synced ${percent} %, ${where}${phase}`;
}
