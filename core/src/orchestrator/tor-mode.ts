// What an app's Tor mode (README "Tor") means for its main service's command and env. The app's own
// Tor runs in the main container's network namespace, so for the app it is always at 127.0.0.1:9050
// (SOCKS) and 127.0.0.1:9051 (control). Mode `tor`: the manifest's `tor.args` are appended to the
// main service's command and `tor.env` added to its env; a Bitcoin node (manifest `bitcoin:`) gets
// bitcoind's own flags from here instead, so no manifest has to spell them. Mode `clearnet`: none
// of it. Pure: the orchestrator asks the app's config for the mode and applies the result.

import { CHAIN_PARAMS } from '../bitcoin/chain-settings.js';
import type { AppManifest, ServiceSpec } from '../manifest/index.js';
import {
  effectiveTorMode as torModeOf,
  TOR_CONTROL_ADDRESS,
  TOR_SOCKS_ADDRESS,
  type TorMode,
  type UserTorChoice,
} from '../tor/index.js';

export type { TorMode } from '../tor/index.js';

/** The plain `${ARCHY_TOR_…}` references' values (the password is a secret: app-secrets.ts). */
export const TOR_PLAIN_REFERENCES: Readonly<Record<string, string>> = {
  ARCHY_TOR_SOCKS: TOR_SOCKS_ADDRESS,
  ARCHY_TOR_CONTROL: TOR_CONTROL_ADDRESS,
};

/** Said when the manifest names no clearnetEffect of its own. */
export const GENERIC_CLEARNET_EFFECT =
  'The app connects to the internet directly instead of through Tor: the services and peers it talks to see this node’s IP address.';

/**
 * What the app runs with: the user's choice (app-config `tor`), else the manifest's default
 * (tor/app-tor.ts); undefined without `tor:` — such an app has no mode to switch, only onions.
 */
export function appTorMode(manifest: Pick<AppManifest, 'tor'>, config: UserTorChoice): TorMode | undefined {
  return manifest.tor ? torModeOf(manifest.tor, config) : undefined;
}

/** What switching the app to clearnet changes, in a user's words. */
export function clearnetEffectOf(manifest: Pick<AppManifest, 'tor'>): string {
  return manifest.tor?.clearnetEffect ?? GENERIC_CLEARNET_EFFECT;
}

/** bitcoind's P2P port for the manifest's chain (the bitcoin: block's, else the chain's default). */
function bitcoinP2pPort(bitcoin: NonNullable<AppManifest['bitcoin']>): number {
  if (bitcoin.p2pPort !== undefined) return bitcoin.p2pPort;
  // 'testnet' (testnet3) is no longer offered at install but may still be named by a manifest.
  return bitcoin.network === 'testnet' ? 18333 : CHAIN_PARAMS[bitcoin.network].p2pPort;
}

/**
 * bitcoind on its own Tor (Bitcoin Core doc/tor.md): outbound through the SOCKS proxy, listening
 * with an onion service it creates itself over the control port (ADD_ONION, key kept in its
 * datadir as onion_v3_private_key). The explicit binds keep clearnet inbound on the P2P port and
 * give the onion its own port, P2P+1 (Core's default onion bind: 8334 on mainnet, 18445 on
 * regtest, 38334 on signet, 48334 on testnet4), so bitcoind can tell onion peers from others. The
 * password is a secret reference: the prelude puts it in the argv at start, never into the spec.
 */
export function bitcoinTorArgs(p2pPort: number): string[] {
  return [
    `-proxy=${TOR_SOCKS_ADDRESS}`,
    '-listen=1',
    '-listenonion=1',
    `-torcontrol=${TOR_CONTROL_ADDRESS}`,
    '-torpassword=${ARCHY_TOR_CONTROL_PASSWORD}',
    `-bind=0.0.0.0:${p2pPort}`,
    `-bind=127.0.0.1:${p2pPort + 1}=onion`,
  ];
}

/** The arguments and env the main service gets in this mode (none in clearnet or without `tor:`). */
export function torAdditions(
  manifest: Pick<AppManifest, 'tor' | 'bitcoin'>,
  mode: TorMode | undefined,
): { args: string[]; env: Record<string, string> } {
  if (mode !== 'tor' || !manifest.tor) return { args: [], env: {} };
  const args = manifest.bitcoin ? bitcoinTorArgs(bitcoinP2pPort(manifest.bitcoin)) : [];
  return { args: [...args, ...(manifest.tor.args ?? [])], env: { ...manifest.tor.env } };
}

/**
 * The main service as it runs in this mode: its command with the Tor arguments appended (after
 * `imageCmd` when the manifest gives no command — Podman would run the image's then), its env
 * with Tor's added. Unchanged when there is nothing to add.
 */
export function withTorMode(
  manifest: Pick<AppManifest, 'tor' | 'bitcoin'>,
  service: ServiceSpec,
  mode: TorMode | undefined,
  imageCmd: readonly string[] = [],
): ServiceSpec {
  const { args, env } = torAdditions(manifest, mode);
  if (args.length === 0 && Object.keys(env).length === 0) return service;
  return {
    ...service,
    ...(args.length > 0 && { command: [...(service.command ?? imageCmd), ...args] }),
    env: { ...service.env, ...env },
  };
}
