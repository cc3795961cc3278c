// What a Bitcoin node's `getblockchaininfo` says about its sync, read from the bitcoin probe's
// answer. The probe already has the answer in hand every interval, so reporting progress costs
// nothing extra — no second RPC connection.

import type { ChainSync } from '../kernel/index.js';
import type { AppManifest, ChainNetwork } from '../manifest/index.js';

/** bitcoind's default RPC port per chain (chainparamsbase.cpp in Bitcoin Core). */
const DEFAULT_RPC_PORTS: Record<ChainNetwork, number> = {
  mainnet: 8332,
  testnet: 18332,
  testnet4: 48332,
  signet: 38332,
  regtest: 18443,
};

/**
 * The container port the bitcoin probe asks: bitcoind's own `-rpcport=` in the manifest's command
 * when there is one (it wins over everything else bitcoind reads), else the `bitcoin` block's
 * rpcPort, else the chain's default — as bitcoind itself would choose.
 */
export function bitcoinRpcPort(manifest: Pick<AppManifest, 'bitcoin' | 'command'>): number | undefined {
  const bitcoin = manifest.bitcoin;
  if (!bitcoin) return undefined;
  const flags = (manifest.command ?? []).filter((arg) => /^--?rpcport=\d+$/.test(arg));
  const last = flags.at(-1);
  if (last !== undefined) return Number(last.slice(last.indexOf('=') + 1));
  return bitcoin.rpcPort ?? DEFAULT_RPC_PORTS[bitcoin.network];
}

const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/** The sync fields of a getblockchaininfo answer as JSON text, or undefined when it is not one. */
export function parseBlockchainInfo(output: string): ChainSync | undefined {
  try {
    return blockchainInfoSync(JSON.parse(output));
  } catch {
    return undefined;
  }
}

/** The sync fields of a getblockchaininfo `result`, or undefined when it is not one. */
export function blockchainInfoSync(result: unknown): ChainSync | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return undefined;
  const info = result as Record<string, unknown>;
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
