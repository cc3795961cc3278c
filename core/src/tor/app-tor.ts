// Which Tor an app gets: its effective mode and its onion services, from the manifest's `tor:`
// block and the user's app config (README "Tor"). Pure: the orchestrator, the CLI and status
// read the same answer.

import type { OnionSource } from '../kernel/index.js';
import type { TorSpec } from '../manifest/index.js';

export type TorMode = 'tor' | 'clearnet';

/** An onion service the app has: from its manifest, or added by the user. */
export interface AppOnion {
  name: string;
  port: number;
  virtualPort: number;
  source: Extract<OnionSource, 'manifest' | 'user'>;
}

/** The user's part of the app config (orchestrator/app-config.ts): structurally, so no layer inverts. */
export interface UserTorChoice {
  tor?: TorMode;
  onions?: readonly { port: number; virtualPort?: number }[];
}

/** The app config's choice, else the manifest's default, else clearnet (no `tor:` block). */
export function effectiveTorMode(
  manifestTor: TorSpec | undefined,
  config: UserTorChoice | undefined,
): TorMode {
  return config?.tor ?? manifestTor?.default ?? 'clearnet';
}

/**
 * The manifest's onions, then the user's (named `port-<port>`). A user's onion on a port or onion
 * port the manifest already serves is left out: the manifest's one stands.
 */
export function appOnions(manifestTor: TorSpec | undefined, config: UserTorChoice | undefined): AppOnion[] {
  const onions: AppOnion[] = (manifestTor?.onions ?? []).map((onion) => ({
    name: onion.name ?? `port-${onion.port}`,
    port: onion.port,
    virtualPort: onion.virtualPort ?? onion.port,
    source: 'manifest',
  }));
  for (const onion of config?.onions ?? []) {
    const name = `port-${onion.port}`;
    const virtualPort = onion.virtualPort ?? onion.port;
    if (onions.some((known) => known.name === name || known.virtualPort === virtualPort)) continue;
    onions.push({ name, port: onion.port, virtualPort, source: 'user' });
  }
  return onions;
}

/** Whether the app runs a Tor sidecar: in mode `tor`, or with any onion service. */
export function needsTorSidecar(
  manifestTor: TorSpec | undefined,
  config: UserTorChoice | undefined,
): boolean {
  return effectiveTorMode(manifestTor, config) === 'tor' || appOnions(manifestTor, config).length > 0;
}
