// An app's own Tor (README "Tor"): the container `archy-<id>.tor`, in the network namespace of the
// app's main container, so that for the app alone Tor is 127.0.0.1:9050 (SOCKS) and
// 127.0.0.1:9051 (control), and each onion service forwards to 127.0.0.1:<port>.
//
// Its life follows the main container's: prepared (image, password, folders, torrc) before the
// main starts, created and started right after it started — every time, since a main that started
// again has a new network namespace —, stopped before it stops, removed before it is removed
// (Podman refuses to remove a container another one shares the namespace of). Its files are
// `apps/<id>/.tor/`, the app's data: the onion keys stay with the app until a purge.

import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ArchyError, RpcErrorCode, type AppTorStatus } from '../kernel/index.js';
import type { DataLayout } from '../layout/index.js';
import type { ContainerCreateSpec, PodmanClient } from '../podman/index.js';
import { containerName, LABEL, labelsFor, torSidecarName } from '../podman/naming.js';
import type { SecretStore } from '../security/secrets/index.js';
import {
  appOnions,
  effectiveTorMode,
  ensureTorImage,
  generateControlPassword,
  hashControlPassword,
  readOnionAddress,
  renderTorrc,
  TOR_HOME,
  waitForOnionAddress,
  type AppOnion,
  type TorImage,
  type TorMode,
} from '../tor/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { AppConfigStore } from './app-config.js';
import type { AppRuntime } from './app-runtime.js';

/** The app's control-port password in its SecretStore (`${ARCHY_TOR_CONTROL_PASSWORD}`). */
export const TOR_CONTROL_PASSWORD_SECRET = 'tor-control-password';
/** Tor needs ~20–30 MB; the cap keeps a runaway Tor from taking the node's memory. */
const SIDECAR_MEMORY_BYTES = 64 * 1024 * 1024;
/** How long a start waits for Tor to write each onion's hostname before it carries on. */
const ONION_WAIT_MS = 30_000;
const SIDECAR_STOP_SECONDS = 10;

export interface TorSidecarsOptions {
  podman: PodmanClient;
  layout: DataLayout;
  configs: AppConfigStore;
  secrets?: SecretStore;
  log: Logger;
  /** `DisableNetwork 1` in every torrc (ARCHY_TOR_DISABLE_NETWORK=1: dev and tests). */
  disableNetwork: boolean;
}

/** What the daemon last learnt of an app's Tor: status is synchronous, the files are not. */
interface KnownTor {
  mode: TorMode;
  onions: AppOnion[];
  addresses: Record<string, string>;
  sidecar: 'running' | 'stopped' | 'missing';
  wanted: boolean;
}

export class TorSidecars {
  private readonly known = new Map<string, KnownTor>();

  constructor(private readonly options: TorSidecarsOptions) {}

  private get layout(): DataLayout {
    return this.options.layout;
  }

  /** The app's mode, onions and whether it runs a sidecar, from its manifest and the user's config. */
  private async plan(runtime: AppRuntime): Promise<{ mode: TorMode; onions: AppOnion[]; wanted: boolean }> {
    const config = await this.options.configs.get(runtime.record.id);
    const mode = effectiveTorMode(runtime.manifest.tor, config);
    const onions = appOnions(runtime.manifest.tor, config);
    return { mode, onions, wanted: mode === 'tor' || onions.length > 0 };
  }

  /**
   * Before the main container starts: the image (built on first need), the control password,
   * `.tor/` with its modes, and the torrc. Undefined when the app runs no Tor. A failure here
   * (tor not installed) stops the start before anything ran.
   */
  async prepare(runtime: AppRuntime): Promise<TorImage | undefined> {
    const id = runtime.record.id;
    const plan = await this.plan(runtime);
    this.remember(id, { ...plan, addresses: this.known.get(id)?.addresses ?? {} });
    if (!plan.wanted) return undefined;
    if (!this.options.secrets)
      throw new ArchyError(
        RpcErrorCode.InternalError,
        `'${id}' needs its own Tor, whose control password is kept in the secret store; this daemon runs without one`,
      );
    const image = await ensureTorImage({
      podmanUrl: `unix://${this.options.podman.socketPath}`,
      workRoot: this.layout.buildWorkDir,
      imagesDir: this.layout.imagesDir,
      appId: id,
      onProgress: (detail) => this.options.log.info({ app: id }, detail),
    });
    const password = await this.options.secrets.ensure(
      id,
      TOR_CONTROL_PASSWORD_SECRET,
      generateControlPassword,
    );
    const torDir = this.layout.appTorDir(id);
    // Tor refuses a DataDirectory or HiddenServiceDir others can read; the container's uid 0 is
    // the daemon's user, who makes and owns them.
    for (const dir of [torDir, join(torDir, 'data'), join(torDir, 'onions')]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
    }
    const torrc = renderTorrc({
      socks: plan.mode === 'tor',
      hashedControlPassword: hashControlPassword(password),
      onions: plan.onions.map((onion) => ({
        name: onion.name,
        virtualPort: onion.virtualPort,
        target: `127.0.0.1:${onion.port}`,
      })),
      disableNetwork: this.options.disableNetwork,
    });
    await writeFileAtomic(join(torDir, 'torrc'), torrc, 0o600);
    return image;
  }

  /**
   * Right after the main container started: a fresh sidecar in its network namespace, started,
   * then a bounded wait for each onion's address (a slow Tor is logged, not fatal: status shows
   * the address once Tor wrote it).
   */
  async launch(runtime: AppRuntime, image: TorImage): Promise<void> {
    const id = runtime.record.id;
    await this.remove(id);
    const main = await this.options.podman.inspectContainer(containerName(id));
    if (!main?.State.Running) return;
    const spec: ContainerCreateSpec = {
      name: torSidecarName(id),
      image: image.imageId,
      labels: { ...labelsFor(id, runtime.record.version, this.layout.root), [LABEL.tor]: 'sidecar' },
      netns: { nsmode: 'container', value: main.Id },
      mounts: [
        { Type: 'bind', Source: this.layout.appTorDir(id), Destination: TOR_HOME, Options: ['rbind', 'rw'] },
      ],
      // uid 0 in the user namespace is the daemon's user on the host: the owner of .tor/.
      user: '0:0',
      cap_drop: ['ALL'],
      no_new_privileges: true,
      read_only_filesystem: true,
      resource_limits: { memory: { limit: SIDECAR_MEMORY_BYTES } },
      stop_timeout: SIDECAR_STOP_SECONDS,
      // A Tor that dies is started again by Podman a few times; a torrc Tor refuses fails for good.
      restart_policy: 'on-failure',
      restart_tries: 3,
    };
    const what = `the Tor container of '${id}'`;
    try {
      await this.options.podman.createContainer(spec);
      await this.options.podman.startContainer(spec.name);
    } catch (error) {
      await this.remove(id);
      throw new ArchyError(RpcErrorCode.StartFailed, `could not start ${what}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const known = this.known.get(id);
    if (known) known.sidecar = 'running';
    const onions = known?.onions ?? [];
    await Promise.all(
      onions.map(async (onion) => {
        const address = await waitForOnionAddress(this.onionDir(id, onion.name), {
          timeoutMs: ONION_WAIT_MS,
        });
        if (address === undefined)
          this.options.log.warn(
            { app: id, onion: onion.name },
            `Tor has not made the onion address yet; see 'podman logs ${spec.name}'`,
          );
      }),
    );
    await this.refresh(runtime);
  }

  /** Before the main container stops: the sidecar stops first (its namespace goes with the main). */
  async stop(id: string): Promise<void> {
    const inspect = await this.ownSidecar(id);
    if (inspect?.State.Running)
      await this.options.podman
        .stopContainer(torSidecarName(id), SIDECAR_STOP_SECONDS)
        .catch((error: unknown) => {
          this.options.log.warn({ app: id, err: error }, 'could not stop the Tor container');
        });
    const known = this.known.get(id);
    if (known && inspect) known.sidecar = 'stopped';
  }

  /** Before the main container is removed (Podman refuses while the sidecar shares its namespace). */
  async remove(id: string): Promise<void> {
    if (await this.ownSidecar(id))
      await this.options.podman
        .removeContainer(torSidecarName(id), { force: true })
        .catch((error: unknown) => {
          this.options.log.warn({ app: id, err: error }, 'could not remove the Tor container');
        });
    const known = this.known.get(id);
    if (known) known.sidecar = 'missing';
  }

  /** Forgets a removed app (its files stay or go with its data). */
  forget(id: string): void {
    this.known.delete(id);
  }

  /**
   * Makes the sidecar again from the app's current config — an onion added or removed — without
   * touching the app's own containers. Without a running main, the sidecar waits for its start.
   */
  async recreate(runtime: AppRuntime): Promise<void> {
    const id = runtime.record.id;
    await this.remove(id);
    const image = await this.prepare(runtime);
    const main = await this.options.podman.inspectContainer(containerName(id));
    if (image && main?.State.Running) await this.launch(runtime, image);
    else await this.refresh(runtime);
  }

  /** Reads the app's Tor as it is now (config, hostname files, the sidecar) into what status shows. */
  async refresh(runtime: AppRuntime): Promise<void> {
    const id = runtime.record.id;
    const plan = await this.plan(runtime);
    const addresses: Record<string, string> = {};
    for (const onion of plan.onions) {
      const address = await readOnionAddress(this.onionDir(id, onion.name));
      if (address) addresses[onion.name] = address;
    }
    const inspect = plan.wanted || this.known.has(id) ? await this.ownSidecar(id) : undefined;
    this.remember(id, {
      ...plan,
      addresses,
      sidecar: inspect ? (inspect.State.Running ? 'running' : 'stopped') : 'missing',
    });
  }

  /** `AppStatus.tor`: present when the manifest has `tor:` or the app has an onion. */
  statusOf(runtime: AppRuntime): AppTorStatus | undefined {
    const tor = runtime.manifest.tor;
    const known = this.known.get(runtime.record.id);
    const onions = known?.onions ?? appOnions(tor, undefined);
    if (!tor && onions.length === 0) return undefined;
    return {
      mode: known?.mode ?? effectiveTorMode(tor, undefined),
      default: tor?.default ?? 'clearnet',
      onions: onions.map((onion) => {
        const address = known?.addresses[onion.name];
        return {
          name: onion.name,
          port: onion.port,
          virtualPort: onion.virtualPort,
          source: onion.source,
          ...(address !== undefined && { address }),
        };
      }),
      ...((known?.wanted ?? onions.length > 0) && { sidecar: known?.sidecar ?? 'missing' }),
      ...(tor?.clearnetEffect !== undefined && { clearnetEffect: tor.clearnetEffect }),
    };
  }

  private onionDir(id: string, name: string): string {
    return join(this.layout.appTorDir(id), 'onions', name);
  }

  private remember(id: string, value: Omit<KnownTor, 'sidecar'> & { sidecar?: KnownTor['sidecar'] }): void {
    this.known.set(id, { ...value, sidecar: value.sidecar ?? this.known.get(id)?.sidecar ?? 'missing' });
  }

  private async ownSidecar(id: string) {
    const inspect = await this.options.podman.inspectContainer(torSidecarName(id));
    return inspect?.Config?.Labels?.[LABEL.dataDir] === this.layout.root ? inspect : undefined;
  }
}
