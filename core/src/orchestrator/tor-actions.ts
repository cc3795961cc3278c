// The user's Tor choices for an app (README "Tor"): its mode (`archy config <id> --tor on|off`,
// `package.set-config {tor}`) and the onions they add (`archy onion add|remove`, `tor.onion-*`).
// Each is checked before anything changes, written to the app's config, and applied on the app's
// queue — the one door: a mode change recreates the app (its command and env change), an onion
// change only the app's Tor (its torrc changes, the app does not).

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  ArchyError,
  RpcErrorCode,
  type AppTorStatus,
  type OnionAddRequest,
  type OnionChangeResult,
  type TorModeChange,
  type TorStatusReport,
} from '../kernel/index.js';
import type { DataLayout } from '../layout/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { AppConfigStore, UserOnion } from './app-config.js';
import type { AppRegistry } from './app-registry.js';
import type { AppRuntime } from './app-runtime.js';
import type { TorControl } from './lifecycle.js';
import type { PodmanEffects } from './podman-effects.js';
import type { Supervisor } from './supervisor.js';
import type { TorSidecars } from './tor-sidecar.js';
import { clearnetEffectOf, appTorMode, type TorMode } from './tor-mode.js';

export interface TorActionsOptions {
  registry: AppRegistry;
  effects: PodmanEffects;
  supervisor: Supervisor;
  configs: AppConfigStore;
  layout: DataLayout;
  log: Logger;
  /**
   * The apps' Tor sidecars (tor-sidecar.ts): `recreate` makes the app's Tor follow its config
   * (torrc rewritten, the sidecar made again or removed, new onion addresses waited for) without
   * touching the app; `refresh` reads the addresses Tor wrote since. Absent (test stand-ins): an
   * onion change recreates the whole app, which does the same.
   */
  sidecars?: Pick<TorSidecars, 'recreate' | 'refresh'>;
}

/** What the onion's name would be and which port it serves on the .onion side. */
const userOnionName = (port: number): string => `port-${port}`;

/**
 * Why a user's onion cannot be added, or undefined. Any port 1-65535 is allowed, not only those
 * the manifest declares: the onion reaches the app inside its own network namespace at
 * 127.0.0.1:<port>, where it may listen on ports it never publishes (electrs's monitoring port,
 * an admin page), and nothing outside the app is exposed but that one port on the .onion.
 */
export function onionAddRefusal(
  id: string,
  manifest: Pick<AppManifest, 'tor'>,
  userOnions: readonly UserOnion[],
  onion: UserOnion,
): string | undefined {
  const virtualPort = onion.virtualPort ?? onion.port;
  for (const known of manifest.tor?.onions ?? []) {
    const name = known.name ?? userOnionName(known.port);
    if (known.port === onion.port || name === userOnionName(onion.port))
      return `'${id}' already has the onion '${name}' for port ${known.port} from its manifest; see archy onion list ${id}`;
    if ((known.virtualPort ?? known.port) === virtualPort)
      return `the onion port ${virtualPort} of '${id}' is taken by its manifest's onion '${name}'; choose another with --virtual-port`;
  }
  for (const known of userOnions) {
    if (known.port === onion.port)
      return `'${id}' already has an onion for port ${onion.port}; remove it first: archy onion remove ${id} ${onion.port}`;
    if ((known.virtualPort ?? known.port) === virtualPort)
      return `the onion port ${virtualPort} of '${id}' is taken by your onion for port ${known.port}; choose another with --virtual-port`;
  }
  return undefined;
}

/** The message a mode change answers with: what it changes, in the user's words. */
export function torModeMessage(
  id: string,
  manifest: Pick<AppManifest, 'tor' | 'bitcoin'>,
  from: TorMode,
  to: TorMode,
): string {
  if (from === to)
    return `'${id}' already runs ${to === 'tor' ? 'through Tor' : 'on clearnet'}; nothing changed`;
  if (to === 'clearnet') return `'${id}' was recreated without Tor. ${clearnetEffectOf(manifest)}`;
  return manifest.bitcoin
    ? `'${id}' was recreated on its own Tor: bitcoind reaches peers through Tor and makes its own onion address for inbound peers.`
    : `'${id}' was recreated on its own Tor: it reaches the internet through Tor and its onions stay as they are.`;
}

export class TorActions implements TorControl {
  constructor(private readonly options: TorActionsOptions) {}

  /** Sets the app's mode (null: back to its manifest's default) and recreates it when that changes what it runs. */
  setMode(id: string, mode: TorMode | null): Promise<TorModeChange> {
    const { registry, configs } = this.options;
    return registry.onQueue(id, async () => {
      const runtime = registry.require(id);
      const manifest = runtime.manifest;
      if (!manifest.tor)
        throw new ArchyError(
          RpcErrorCode.InvalidParams,
          `'${id}' has no Tor mode (its manifest has no tor: block), so it always runs on clearnet; ` +
            `it can still get an onion address: archy onion add ${id} <port>`,
        );
      const from = appTorMode(manifest, await configs.get(id)) ?? 'clearnet';
      const config = await configs.update(id, { tor: mode });
      const to = appTorMode(manifest, config) ?? 'clearnet';
      if (from !== to) await this.recreate(runtime);
      this.options.log.info({ app: id, from, to }, 'Tor mode changed');
      return {
        id,
        mode: to,
        default: manifest.tor.default,
        changed: from !== to,
        clearnetEffect: clearnetEffectOf(manifest),
        message: torModeMessage(id, manifest, from, to),
      };
    });
  }

  /** Adds an onion for a port of the app (refused for a port or onion port it already has). */
  addOnion(request: OnionAddRequest): Promise<OnionChangeResult> {
    const { registry, configs } = this.options;
    const { id, ...onion } = request;
    return registry.onQueue(id, async () => {
      const runtime = registry.require(id);
      const onions = (await configs.get(id)).onions ?? [];
      const refusal = onionAddRefusal(id, runtime.manifest, onions, onion);
      if (refusal) throw new ArchyError(RpcErrorCode.Conflict, refusal);
      await configs.update(id, { onions: [...onions, onion] });
      await this.refresh(runtime);
      return this.result(runtime);
    });
  }

  /** Removes the user's onion for a port (its key goes; the manifest's onions cannot be removed). */
  removeOnion(id: string, port: number): Promise<OnionChangeResult> {
    const { registry, configs } = this.options;
    return registry.onQueue(id, async () => {
      const runtime = registry.require(id);
      const onions = (await configs.get(id)).onions ?? [];
      if (!onions.some((onion) => onion.port === port)) {
        const manifests = runtime.manifest.tor?.onions.some((onion) => onion.port === port);
        throw new ArchyError(
          RpcErrorCode.NotFound,
          manifests
            ? `the onion for port ${port} of '${id}' comes from its manifest and stays while the app is installed`
            : `'${id}' has no onion you added for port ${port}; see archy onion list ${id}`,
        );
      }
      await configs.update(id, { onions: onions.filter((onion) => onion.port !== port) });
      await this.refresh(runtime);
      // Its key goes too, once its Tor no longer serves it: the address is gone for good (a new
      // onion on this port gets a new address), as the user was told.
      await rm(join(this.options.layout.appTorDir(id), 'onions', userOnionName(port)), {
        recursive: true,
        force: true,
      });
      return this.result(runtime);
    });
  }

  /** Every app with Tor (manifest `tor:` or an onion), with its mode and onions. */
  async status(): Promise<TorStatusReport> {
    const runtimes = this.options.registry.all();
    // The onion addresses as Tor wrote them (it may have since the last start).
    for (const runtime of runtimes) await this.options.sidecars?.refresh(runtime);
    const apps = runtimes.flatMap((runtime) => {
      const tor = this.options.registry.statusOf(runtime).tor;
      return tor ? [{ id: runtime.record.id, ...tor }] : [];
    });
    return { apps };
  }

  private result(runtime: AppRuntime): OnionChangeResult {
    const tor: AppTorStatus | undefined = this.options.registry.statusOf(runtime).tor;
    return { id: runtime.record.id, ...(tor && { tor }) };
  }

  /** The app's Tor follows its config: the sidecar when the runtime can, else the whole app. */
  private async refresh(runtime: AppRuntime): Promise<void> {
    if (this.options.sidecars) {
      await this.options.sidecars.recreate(runtime);
      this.options.registry.publish(runtime);
    } else await this.recreate(runtime);
  }

  /**
   * Recreates the app's containers with what its config says now — same data, name, ports and
   * secrets — and starts it again if it was running (as a prune change does).
   */
  private async recreate(runtime: AppRuntime): Promise<void> {
    const { effects, registry, supervisor } = this.options;
    const id = runtime.record.id;
    const wasRunning = runtime.container?.running ?? false;
    const previous = runtime.transition;
    runtime.transition = 'updating';
    registry.publish(runtime);
    try {
      if (wasRunning) {
        supervisor.reset(id);
        await effects.stop(runtime);
      }
      await effects.recreate(runtime);
      if (wasRunning) await effects.startContainer(runtime);
    } finally {
      runtime.transition = previous;
      registry.publish(runtime);
    }
  }
}
