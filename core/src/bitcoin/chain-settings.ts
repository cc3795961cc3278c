// A Bitcoin node's install-time choices — which chain it follows and whether it prunes — and what
// they mean for its container: bitcoind's -chain and -prune flags, the chain's RPC and P2P ports,
// and the rules for changing them later. Pure: the orchestrator applies the result.
//
// Ports are bitcoind's defaults per chain (chainparamsbase.cpp / chainparams.cpp in Bitcoin Core):
// main 8332/8333, testnet4 48332/48333, signet 38332/38333, regtest 18443/18444.

import { ArchyError, RpcErrorCode, type BitcoinNetwork, type BitcoinSettings } from '../kernel/index.js';
import type { AppManifest, ChainNetwork } from '../manifest/index.js';

interface ChainParams {
  /** bitcoind's -chain= value. */
  chain: string;
  rpcPort: number;
  p2pPort: number;
}

export const CHAIN_PARAMS: Record<BitcoinNetwork, ChainParams> = {
  mainnet: { chain: 'main', rpcPort: 8332, p2pPort: 8333 },
  testnet4: { chain: 'testnet4', rpcPort: 48332, p2pPort: 48333 },
  signet: { chain: 'signet', rpcPort: 38332, p2pPort: 38333 },
  regtest: { chain: 'regtest', rpcPort: 18443, p2pPort: 18444 },
};

/** Flags that pick a chain or prune; the settings replace whatever the manifest said. */
const CHAIN_FLAG = /^-(?:chain=.*|regtest(?:=.*)?|testnet(?:=.*)?|testnet4(?:=.*)?|signet(?:=.*)?|prune=.*)$/;

/** A prune target in GB (10^9 bytes) as bitcoind's -prune, which counts MiB. */
export const pruneMiB = (gb: number): number => Math.floor((gb * 1e9) / 2 ** 20);

/** The settings a manifest describes on its own (its bitcoin: block and any -prune= in its command). */
export function settingsOfManifest(manifest: AppManifest): BitcoinSettings | undefined {
  if (!manifest.bitcoin) return undefined;
  if (manifest.bitcoin.network === 'testnet') return undefined; // not offered: being retired
  const network = manifest.bitcoin.network;
  const pruneArg = manifest.command?.find((arg) => arg.startsWith('-prune='));
  const mib = pruneArg ? Number(pruneArg.slice('-prune='.length)) : 0;
  return {
    network,
    ...(mib > 1 && { prune: Math.round((mib * 2 ** 20) / 1e9) }),
  };
}

/**
 * The manifest a node with these settings runs: the chain and prune flags replaced, the chain's
 * RPC and P2P ports in place of the manifest's (container and host side), the bitcoin: block
 * saying which chain, so health probes and dependents follow.
 */
export function applyBitcoinSettings(manifest: AppManifest, settings: BitcoinSettings): AppManifest {
  const bitcoin = manifest.bitcoin;
  if (!bitcoin) return manifest;
  const params = CHAIN_PARAMS[settings.network];
  const ports = new Map<number, number>();
  if (bitcoin.rpcPort !== undefined) ports.set(bitcoin.rpcPort, params.rpcPort);
  if (bitcoin.p2pPort !== undefined) ports.set(bitcoin.p2pPort, params.p2pPort);
  const command = manifest.command && [
    ...manifest.command.filter((arg) => !CHAIN_FLAG.test(arg)),
    `-chain=${params.chain}`,
    ...(settings.prune ? [`-prune=${pruneMiB(settings.prune)}`] : []),
  ];
  const movePorts = (list: AppManifest['ports']): AppManifest['ports'] =>
    list.map((port) => {
      const moved = ports.get(port.container);
      return moved === undefined ? port : { ...port, container: moved, host: moved };
    });
  return {
    ...manifest,
    ...(command && { command }),
    ports: movePorts(manifest.ports),
    bitcoin: { ...bitcoin, network: settings.network, rpcPort: params.rpcPort, p2pPort: params.p2pPort },
    // bitcoind is the main service: its container is built from the service, so it changes too.
    services: manifest.services.map((service) =>
      service.name === manifest.main
        ? { ...service, ...(command && { command }), ports: movePorts(service.ports) }
        : service,
    ),
  };
}

/**
 * The settings an install asks for: the user's choices over the manifest's own. Refused for an
 * app that is not a Bitcoin node.
 */
export function requestedSettings(
  manifest: AppManifest,
  request: { network?: BitcoinNetwork; prune?: number },
): BitcoinSettings | undefined {
  if (request.network === undefined && request.prune === undefined) return undefined;
  const base = settingsOfManifest(manifest);
  if (!base)
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `'${manifest.id}' is not a Bitcoin node; --network and --prune apply to apps such as bitcoin-core and bitcoin-knots`,
    );
  const prune = request.prune ?? base.prune;
  return { network: request.network ?? base.network, ...(prune ? { prune } : {}) };
}

/**
 * A datadir keeps the chain it was made for: installing onto kept data for another chain would
 * start a second chain beside the first, which is never what a user means.
 */
export function checkChainMatchesData(
  appId: string,
  datadir: string,
  wanted: BitcoinNetwork,
  present: readonly ChainNetwork[],
): void {
  if (present.length === 0 || present.includes(wanted)) return;
  const holds = present.join(' and ');
  throw new ArchyError(
    RpcErrorCode.Conflict,
    `the data kept in ${datadir} holds a ${holds} chain, so '${appId}' cannot be installed for ${wanted} on it; ` +
      `install with --network ${present[0] === 'testnet' ? 'testnet4' : present[0]} to use it, or move that folder ` +
      'away first to start a new node (its chain cannot change under its data)',
  );
}

/** What a prune change does to a node whose current settings are `current`. */
export interface PruneChange {
  settings: BitcoinSettings;
  /** One-time start arguments: -reindex when turning pruning off (the full chain is fetched again). */
  firstStartArgs: string[];
  message: string;
}

/**
 * Pruning may be turned on or resized at any time (bitcoind deletes old block files); turning it
 * off means every block must be downloaded again, which the user must confirm by typing the id.
 */
export function planPruneChange(
  appId: string,
  current: BitcoinSettings,
  prune: number,
  options: { prunedData: boolean; confirmResync?: string },
): PruneChange {
  const settings: BitcoinSettings = { network: current.network, ...(prune > 0 && { prune }) };
  if (prune > 0)
    return {
      settings,
      firstStartArgs: [],
      message:
        current.prune === prune
          ? `already pruning to ${prune} GB; nothing changed`
          : `restarted with -prune=${pruneMiB(prune)} (${prune} GB): older block files are deleted as the node runs`,
    };
  if (!current.prune && !options.prunedData)
    return { settings, firstStartArgs: [], message: 'not pruning; nothing changed' };
  if (options.confirmResync !== appId)
    throw new ArchyError(
      RpcErrorCode.Conflict,
      `turning pruning off on '${appId}' means downloading and verifying the whole chain again (hundreds of GB on ` +
        `mainnet, days on small hardware), because a pruned node has deleted the old blocks; confirm with ` +
        `--confirm-resync ${appId}`,
    );
  return {
    settings,
    firstStartArgs: ['-reindex'],
    message:
      'restarted without pruning, with a one-time -reindex: the node downloads and verifies every block again',
  };
}
