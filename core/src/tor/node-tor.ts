// The node's own Tor, for remote access to the web UI and API (README "Remote access over Tor"):
// one container, `archy.node-tor`, from the same image as the apps' Tor, whose only onion service
// forwards port 80 to the daemon's unix socket `tor/run/ui.sock`. The daemon supervises it: it is
// brought up at daemon start when the setting is on, started again (with backoff) when it exits,
// and removed on `off` and at daemon shutdown. Removed at shutdown rather than left running like
// the apps: it forwards only to the daemon's own socket, which is gone while the daemon is down,
// so a Tor left behind would announce a service that answers nothing; the next start replaces any
// leftover from a killed daemon (by name and this data dir's label), so none is ever orphaned.
// The key folder `onions/web/` stays, so the address survives restarts and off/on.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ArchyError, RpcErrorCode, type RemoteAccessStatus } from '../kernel/index.js';
import type { DataLayout } from '../layout/index.js';
import { LABEL, type PodmanClient, type PodmanEvent } from '../podman/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { Backoff } from '../util/backoff.js';
import { JsonFile } from '../util/json-store.js';
import { readOnionAddress, waitForOnionAddress } from './onion-address.js';
import { renderTorrc, TOR_HOME } from './torrc.js';

/** The container's name (the design's; an app id `node-tor` would collide, so it is checked by label). */
export const NODE_TOR_CONTAINER = 'archy.node-tor';
/** Marks the node's Tor among a data dir's containers. */
export const NODE_TOR_LABEL = 'io.archipelago.node-tor';
/** The onion service's key folder name under `tor/onions/`. */
export const WEB_ONION_NAME = 'web';
/** The daemon's socket, as the host sees it, relative to `tor/`. */
export const UI_SOCKET_RELATIVE = 'run/ui.sock';
/** How long `on` waits for Tor to write the address before answering `starting`. */
export const DEFAULT_ADDRESS_TIMEOUT_MS = 60_000;
/** Tor uses ~20–30 MB; the apps' sidecars get the same. */
const MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;
/** A Tor that ran this long before exiting starts over at the shortest restart delay. */
const STABLE_RUN_MS = 60_000;

const settingFormat = {
  what: 'remote access setting',
  schema: z.strictObject({ enabled: z.boolean() }),
  version: 1,
};

/** The Podman calls the node's Tor needs. */
export type NodeTorPodman = Pick<
  PodmanClient,
  'createContainer' | 'startContainer' | 'stopContainer' | 'removeContainer' | 'inspectContainer'
>;

/** The daemon's second listener (api/onion-listener.ts), opened only while remote access is on. */
export interface UiSocket {
  open(path: string): Promise<void>;
  close(): Promise<void>;
}

export interface NodeTorOptions {
  layout: DataLayout;
  podman: NodeTorPodman;
  /** The Tor image's reference, built on first need (tor-image.ts). */
  image: () => Promise<string>;
  uiSocket: UiSocket;
  /** `DisableNetwork 1` and no network at all for the container (ARCHY_TOR_DISABLE_NETWORK=1). */
  disableNetwork: boolean;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  addressTimeoutMs?: number;
  restartBackoff?: { initialMs: number; maxMs: number };
}

export interface RemoteAccessChange {
  enabled?: boolean;
  /** A fresh key (a new address): the old address stops working for good. */
  newAddress?: boolean;
}

export class NodeTor {
  readonly #options: NodeTorOptions;
  readonly #setting: JsonFile<{ enabled: boolean }>;
  readonly #backoff: Backoff;
  #enabled = false;
  #state: RemoteAccessStatus['state'] = 'off';
  #message: string | undefined;
  #address: string | undefined;
  #containerId: string | undefined;
  #startedAt = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #shuttingDown = false;
  /** Every change runs after the one before: an `on` and an `off` never interleave. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: NodeTorOptions) {
    this.#options = options;
    this.#setting = new JsonFile(join(this.#dir, 'remote-access.json'), settingFormat);
    this.#backoff = new Backoff(options.restartBackoff ?? { initialMs: 1000, maxMs: 60_000 });
  }

  get #dir(): string {
    return this.#options.layout.nodeTorDir;
  }

  get #onionDir(): string {
    return join(this.#dir, 'onions', WEB_ONION_NAME);
  }

  /** Where the daemon's onion listener is (and Tor's HiddenServicePort points). */
  get socketPath(): string {
    return join(this.#dir, UI_SOCKET_RELATIVE);
  }

  /** The node's onion name while remote access is on: the only Host its listener answers. */
  onionHostname(): string | undefined {
    return this.#enabled ? this.#address : undefined;
  }

  /**
   * At daemon start: removes a leftover container (a killed daemon's), then brings remote access
   * up if the setting says so. A failure is logged and shown in status, never stops the daemon.
   */
  resume(): Promise<void> {
    return this.#serially(async () => {
      this.#enabled = (await this.#setting.read())?.enabled ?? false;
      await this.#removeContainer();
      if (!this.#enabled) return;
      try {
        await this.#up();
      } catch (error) {
        this.#fail(error);
      }
    });
  }

  async status(): Promise<RemoteAccessStatus> {
    // Tor may have written the address after `on` stopped waiting.
    if (this.#enabled && this.#address === undefined) {
      this.#address = await readOnionAddress(this.#onionDir);
      if (this.#address && this.#state === 'starting') this.#state = 'running';
    }
    return {
      enabled: this.#enabled,
      ...(this.#enabled && this.#address ? { url: `http://${this.#address}/` } : {}),
      state: this.#state,
      ...(this.#message !== undefined ? { message: this.#message } : {}),
    };
  }

  /** `archy web remote-access on|off [--new-address]`; answers the status after the change. */
  async set(change: RemoteAccessChange): Promise<RemoteAccessStatus> {
    const enable = change.enabled ?? this.#enabled;
    if (change.newAddress && !enable) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        'a new address is made when remote access is turned on: run archy web remote-access on --new-address',
      );
    }
    await this.#serially(async () => {
      if (!enable) {
        this.#enabled = false;
        await this.#setting.write({ enabled: false });
        await this.#down();
        this.#state = 'off';
        this.#message = undefined;
        return;
      }
      const restart = change.newAddress === true || !this.#enabled || this.#state === 'failed';
      this.#enabled = true;
      await this.#setting.write({ enabled: true });
      if (!restart) return;
      await this.#down();
      if (change.newAddress) {
        // The old key goes: whoever knew the old address can no longer reach the node by it.
        await rm(this.#onionDir, { recursive: true, force: true });
        this.#address = undefined;
      }
      try {
        await this.#up();
      } catch (error) {
        this.#fail(error);
        throw error;
      }
    });
    return this.status();
  }

  /** Podman's container events (the daemon's one stream): restarts the node's Tor when it exits. */
  applyContainerEvent(event: PodmanEvent): void {
    if (event.action !== 'died' || event.name !== NODE_TOR_CONTAINER) return;
    if (event.attributes[LABEL.dataDir] !== this.#options.layout.root) return;
    if (event.id !== this.#containerId || !this.#enabled || this.#shuttingDown) return;
    if (this.#restartTimer) return;
    if (Date.now() - this.#startedAt >= STABLE_RUN_MS) this.#backoff.reset();
    const delayMs = this.#backoff.next();
    this.#state = 'failed';
    this.#message = `the node's Tor exited (code ${event.exitCode ?? '?'}); starting it again in ${Math.ceil(delayMs / 1000)} s (see: podman logs ${NODE_TOR_CONTAINER})`;
    this.#options.logger.warn({ exitCode: event.exitCode, delayMs }, this.#message);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      void this.#serially(async () => {
        if (!this.#enabled || this.#shuttingDown) return;
        try {
          await this.#up();
        } catch (error) {
          this.#fail(error);
        }
      });
    }, delayMs);
  }

  /** At daemon shutdown: the container and the socket go; the setting and the key stay. */
  shutdown(): Promise<void> {
    this.#shuttingDown = true;
    return this.#serially(() => this.#down());
  }

  /** Writes the torrc, opens the socket, (re)creates and starts the container, waits for the address. */
  async #up(): Promise<void> {
    const { layout, podman, uiSocket, disableNetwork, logger } = this.#options;
    this.#state = 'starting';
    this.#message = undefined;
    // Tor refuses a DataDirectory or HiddenServiceDir that others may read.
    for (const dir of [
      this.#dir,
      join(this.#dir, 'data'),
      join(this.#dir, 'onions'),
      join(this.#dir, 'run'),
    ]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
    const torrc = renderTorrc({
      socks: false,
      onions: [{ name: WEB_ONION_NAME, virtualPort: 80, target: `unix:${TOR_HOME}/${UI_SOCKET_RELATIVE}` }],
      disableNetwork,
    });
    await writeFileAtomic(join(this.#dir, 'torrc'), torrc, 0o600);
    await uiSocket.open(this.socketPath);
    const image = await this.#options.image();
    await this.#removeContainer();
    const { id } = await podman.createContainer({
      name: NODE_TOR_CONTAINER,
      image,
      labels: { [NODE_TOR_LABEL]: 'true', [LABEL.dataDir]: layout.root },
      mounts: [{ Type: 'bind', Source: this.#dir, Destination: TOR_HOME, Options: ['rw'] }],
      // Tests and dev: Tor contacts nobody, and the container has no network to do it with either.
      netns: { nsmode: disableNetwork ? 'none' : 'slirp4netns' },
      // uid 0 of the user namespace is the daemon's user on the host, which owns tor/.
      user: '0:0',
      cap_drop: ['ALL'],
      no_new_privileges: true,
      read_only_filesystem: true,
      resource_limits: { memory: { limit: MEMORY_LIMIT_BYTES }, pids: { limit: 64 } },
      stop_timeout: 5,
      // The daemon restarts it (with backoff, and never after `off`), not Podman.
      restart_policy: 'no',
    });
    this.#containerId = id;
    this.#startedAt = Date.now();
    await podman.startContainer(id);
    const address = await waitForOnionAddress(this.#onionDir, {
      timeoutMs: this.#options.addressTimeoutMs ?? DEFAULT_ADDRESS_TIMEOUT_MS,
    });
    this.#address = address;
    if (address === undefined) {
      this.#message = `Tor is running but has not made the onion address yet; check again with archy web remote-access show (or: podman logs ${NODE_TOR_CONTAINER})`;
      logger.warn(this.#message);
      return;
    }
    this.#state = 'running';
    logger.info({ url: `http://${address}/` }, 'remote access over Tor is on');
  }

  /** Stops any restart, removes the container, closes the socket. */
  async #down(): Promise<void> {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    // Forgotten first: the `died` event of this very removal must not schedule a restart.
    this.#containerId = undefined;
    await this.#removeContainer();
    await this.#options.uiSocket.close();
  }

  /** Removes `archy.node-tor` if it is this data dir's; refuses to touch anyone else's. */
  async #removeContainer(): Promise<void> {
    const { podman, layout } = this.#options;
    const existing = await podman.inspectContainer(NODE_TOR_CONTAINER);
    if (!existing) return;
    const labels = existing.Config.Labels ?? {};
    if (labels[NODE_TOR_LABEL] !== 'true' || labels[LABEL.dataDir] !== layout.root) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `a container named ${NODE_TOR_CONTAINER} exists that is not this node's Tor (another data dir's, or an app's); remove it or stop that node first`,
      );
    }
    // Stopping first lets Tor close its circuits; remove -f would SIGKILL it.
    if (existing.State.Running) await podman.stopContainer(existing.Id, 5).catch(() => undefined);
    await podman.removeContainer(existing.Id, { force: true });
  }

  #fail(error: unknown): void {
    this.#state = 'failed';
    this.#message = error instanceof Error ? error.message : String(error);
    this.#options.logger.error({ err: error }, `remote access over Tor could not start: ${this.#message}`);
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
