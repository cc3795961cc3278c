// Every Podman effect the orchestrator has on an app, in one place: one ownership check (a
// container or network is ours only when it carries this data dir's label), one error style
// (an ArchyError that says what we were doing and quotes Podman), and the health watch started
// and stopped with the container. Nothing here decides what should happen; the reconciler and
// the operations call these to make it happen.
//
// One file (about 490 lines) on purpose: the point of it is that every Podman effect is here, with
// the one ownership check and the one error style, and each method is a few lines.

import { mkdir, rename } from 'node:fs/promises';
import type { Logger } from 'pino';
import { RpcErrorCode, type LogLine } from '../kernel/index.js';
import type { AppManifest, ServiceSpec } from '../manifest/index.js';
import {
  PodmanError,
  type ContainerCreateSpec,
  type ContainerInspect,
  type PodmanClient,
} from '../podman/index.js';
import { removePodmanSecrets, type SecretStore } from '../security/secrets/index.js';
import { assertVolumeDirsSafe, type HostConfinement } from '../security/policy/index.js';
import { dependencyLinks, type NetworkLink, type ResolvedDependency } from '../resolver/index.js';
import { ArchyError } from '../kernel/index.js';
import type { TypedEventBus } from '../util/event-bus.js';
import type { DaemonEvents } from '../kernel/index.js';
import type { CatalogVersion } from '../catalog/index.js';
import { isEmptyTree, removeIfEmptyTree } from '../util/empty-tree.js';
import { pathExists } from '../util/path-exists.js';
import { readSeed, writeSeededVolume, type SeedEntry } from './volume-seed.js';
import type { AppEffects } from '../versions/app-operations.js';
import type { AppRegistry } from './app-registry.js';
import { markOwnStop, type AppRuntime, type ObservedContainer } from './app-runtime.js';
import { assertCreatedUser, resolveImageUserOf } from './app-user.js';
import { withContainerInterfaces } from './container-interfaces.js';
import { buildContainerSpec } from './container-spec.js';
import { deviceHostname } from './device-hostname.js';
import type { DataLayout } from '../layout/index.js';
import { decisiveExitOutput, describeExitOutput, EXIT_OUTPUT_TAIL } from './exit-output.js';
import { argsForCreate } from './first-start-args.js';
import type { HealthWatch } from './health-watch.js';
import type { ReservedPort } from './host-ports.js';
import { registryOf } from '../util/image-reference.js';
import { containerName, LABEL, labelsFor, networkName, servicesNetworkName } from '../podman/naming.js';
import {
  containerNameOf,
  isMainService,
  isMultiService,
  serviceView,
  startOrder,
  stopOrder,
} from './app-services.js';
import { mergeServiceLogs } from './service-logs.js';
import { waitForService } from './service-readiness.js';
import { assertHostPortsFree } from './port-check.js';
import type { PauseHook } from './test-pause.js';
import { withTorMode, type TorMode } from './tor-mode.js';
import type { TorSidecars } from './tor-sidecar.js';

export interface PodmanEffectsOptions {
  podman: PodmanClient;
  layout: DataLayout;
  registry: AppRegistry;
  health: HealthWatch;
  log: Logger;
  events: TypedEventBus<DaemonEvents>;
  insecureRegistries: ReadonlySet<string>;
  secrets?: SecretStore;
  confinement?: HostConfinement;
  reservedPorts?: () => readonly ReservedPort[];
  /**
   * The reference a service other than the main runs: its verified digest (the main's image is
   * provided, verified or built, by the install or version change).
   */
  imageTrust?: { runnableReference(appId: string, image: string): Promise<string> };
  /** The crash-safety tests' hook between the services of a multi-service app (test-pause.ts). */
  pause?: PauseHook;
  /** ARCHY_DEVICE_HOSTNAME in every container; default: this machine's (device-hostname.ts). */
  deviceHostname?: string;
  /**
   * What a version change needs beside Podman, from the parts that own it (readiness waits, the
   * version guard's settle, image provisioning): called, never decided, here.
   */
  versionChangeNeeds: () => VersionChangeNeeds;
  /** The app's effective Tor mode (app-config `tor`, else the manifest's); absent: no Tor arguments. */
  torModeOf?: (manifest: AppManifest) => Promise<TorMode | undefined>;
  /** The apps' Tor sidecars: started after, stopped and removed before the main container. */
  tor?: TorSidecars;
  /** Captures each container's output into the app's kept logs (logs/<id>/). */
  keptLogs?: { captureInto(spec: ContainerCreateSpec, appId: string): Promise<ContainerCreateSpec> };
}

export interface VersionChangeNeeds {
  waitUntilHealthy(runtime: AppRuntime): Promise<{ ok: true } | { ok: false; why: string }>;
  dropFirstStartArgs(runtime: AppRuntime): Promise<void>;
  provideImage(runtime: AppRuntime, target: CatalogVersion): Promise<string>;
}

/** A start right after a stop may wait this long for the old container's port forwarder to go. */
export const PORT_FREE_GRACE_MS = 3_000;

/** What every service of one create shares: its dependencies, and work done once per image. */
interface ServiceContext {
  links: NetworkLink[];
  dependencies: ResolvedDependency[];
  once: <T>(key: string, work: () => Promise<T>) => Promise<T>;
}

/** Runs each keyed piece of work once; later callers share its promise (and its failure). */
function memoize(): ServiceContext['once'] {
  const started = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    let promise = started.get(key) as Promise<T> | undefined;
    if (!promise) {
      promise = work();
      started.set(key, promise);
    }
    return promise;
  };
}

export class PodmanEffects implements AppEffects {
  private readonly podman: PodmanClient;
  private readonly layout: DataLayout;
  /** ARCHY_DEVICE_HOSTNAME: what every container gets, and the connection details resolve. */
  readonly deviceHostname: string;

  constructor(private readonly options: PodmanEffectsOptions) {
    this.podman = options.podman;
    this.layout = options.layout;
    this.deviceHostname = options.deviceHostname ?? deviceHostname();
  }

  // ---- what is ours -------------------------------------------------------------------------

  /** The one ownership check: made by this daemon for this data dir. */
  owns(labels: Record<string, string> | undefined | null): boolean {
    return labels?.[LABEL.dataDir] === this.layout.root;
  }

  /** The app's (main) container as Podman reports it, or another by name, when it is ours. */
  async inspectOwned(id: string, name = containerName(id)): Promise<ContainerInspect | undefined> {
    const inspect = await this.podman.inspectContainer(name);
    return inspect && this.owns(inspect.Config?.Labels) ? inspect : undefined;
  }

  /** Every container this daemon made for this data dir (apps and throwaways). */
  listOwned(): Promise<Array<{ Id: string; Labels?: Record<string, string> | null }>> {
    return this.call('list containers', () =>
      this.podman.listContainers({ all: true, labels: { [LABEL.dataDir]: this.layout.root } }),
    );
  }

  /**
   * Re-reads the app's containers into its runtime (undefined when there is none of ours): the
   * main's as `container`, the other services' in `services`.
   */
  async refresh(runtime: AppRuntime): Promise<void> {
    const { manifest, record } = runtime;
    runtime.container = observedOf(await this.inspectOwned(record.id));
    await this.options.tor?.refresh(runtime);
    if (!isMultiService(manifest)) return;
    const services: NonNullable<AppRuntime['services']> = {};
    for (const service of manifest.services) {
      if (isMainService(manifest, service)) continue;
      services[service.name] = observedOf(
        await this.inspectOwned(record.id, containerNameOf(manifest, service)),
      );
    }
    runtime.services = services;
  }

  /** The version label of the app's container, '' without one, undefined when there is none of ours. */
  async containerVersion(id: string): Promise<string | undefined> {
    const inspect = await this.inspectOwned(id);
    return inspect ? (inspect.Config?.Labels?.[LABEL.version] ?? '') : undefined;
  }

  // ---- containers ---------------------------------------------------------------------------

  /**
   * Creates the app's containers from its record and manifest — every service's, in start
   * order, replacing those of ours of the same app — and returns the main's id; the one-time
   * start arguments are appended to the main's command. All or nothing: a refusal removes the
   * containers this call made.
   */
  async create(runtime: AppRuntime, extraArgs: readonly string[] = []): Promise<string> {
    const { manifest, record } = runtime;
    // Every create (install, start after the container was lost, a version change) mounts the
    // data dirs as they are now, which may not be as they were when they were made. Checked
    // before an old container is replaced, so a refusal leaves it as it was.
    await assertVolumeDirsSafe(this.layout, manifest);
    for (const service of manifest.services) {
      const name = containerNameOf(manifest, service);
      const existing = await this.podman.inspectContainer(name);
      if (existing && !this.owns(existing.Config?.Labels)) {
        throw new ArchyError(
          RpcErrorCode.Conflict,
          `a container named '${name}' exists and is not this daemon's; remove it with 'podman rm ${name}'`,
        );
      }
    }
    await this.removeContainerQuietly(record.id);
    if (isMultiService(manifest)) await this.ensureServicesNetwork(record.id, record.version);
    // The links come from what is installed now, so a recreated container joins the same networks.
    const installed = dependencyLinks(this.options.registry.installedApps());
    const context: ServiceContext = {
      links: installed.links.filter((link) => link.dependent === record.id),
      dependencies: installed.dependencies[record.id] ?? [],
      // Services often share an image: each is verified and its user resolved once per create.
      once: memoize(),
    };
    let mainId = '';
    const services: NonNullable<AppRuntime['services']> = {};
    try {
      for (const [index, service] of startOrder(manifest).entries()) {
        if (index > 0) await this.options.pause?.('create-services', record.id);
        const main = isMainService(manifest, service);
        const id = await this.createService(runtime, service, context, main ? extraArgs : []);
        if (main) mainId = id;
        else services[service.name] = { id, running: false };
      }
    } catch (error) {
      await this.removeContainerQuietly(record.id);
      throw error;
    }
    runtime.container = { id: mainId, running: false };
    if (isMultiService(manifest)) runtime.services = services;
    return mainId;
  }

  /**
   * Creates one service's container and returns its id. The one place a service's container is
   * made: what a service is given beside its manifest (its dependencies' env and networks, a
   * Bitcoin node's RPC secrets, one-time start arguments) is added to the spec here.
   */
  private async createService(
    runtime: AppRuntime,
    service: ServiceSpec,
    context: ServiceContext,
    extraArgs: readonly string[],
  ): Promise<string> {
    const { manifest, record } = runtime;
    const main = isMainService(manifest, service);
    // The main service in the app's Tor mode: Tor's arguments after its command, Tor's env added.
    if (main) service = await this.inTorMode(manifest, service, record.runImage ?? record.image);
    const view = serviceView(manifest, service);
    if (!main && service.build) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `service '${service.name}' of '${record.id}' asks to build its image; this node builds only the main service's image, so move build: to the main service`,
      );
    }
    // The main runs the image the install verified (or built); each other service's is verified
    // here (its signature, as any app image's) and pulled by the digest that was verified.
    const image = main
      ? (record.runImage ?? record.image)
      : await context.once(`verify ${service.image}`, async () => {
          const verified =
            (await this.options.imageTrust?.runnableReference(record.id, service.image)) ?? service.image;
          await this.pullImage(record.id, verified);
          return verified;
        });
    // The image's own user matters only when the manifest names none; resolved and judged then.
    const imageUser =
      view.security.user === undefined
        ? await context.once(`user of ${image}`, () =>
            this.call(`resolve the user of the image of '${record.id}'`, () =>
              resolveImageUserOf(this.podman, { appId: record.id, image, dataDir: this.layout.root }),
            ),
          )
        : undefined;
    let spec = buildContainerSpec(manifest, service, {
      layout: this.layout,
      image,
      version: record.version,
      links: context.links,
      dependencies: context.dependencies,
      ...(this.options.confinement && { confinement: this.options.confinement }),
      ...(imageUser !== undefined && { imageUser }),
    });
    // RPC secrets and dependents' logins (the main service of a Bitcoin node), and the env and
    // secret files of the dependencies this service uses (interfaces/).
    spec = await withContainerInterfaces(
      spec,
      { manifest: view, record },
      extraArgs,
      {
        podman: this.podman,
        layout: this.layout,
        labels: { [LABEL.dataDir]: this.layout.root },
        installedApps: () => this.options.registry.installedApps(),
        ...(this.options.secrets && { secrets: this.options.secrets }),
        deviceHostname: this.deviceHostname,
        inspectImage: (reference) => this.podman.inspectImage(reference),
      },
      { main, uses: service.uses },
    );
    if (this.options.keptLogs) spec = await this.options.keptLogs.captureInto(spec, record.id);
    const name = spec.name ?? containerNameOf(manifest, service);
    const what = main ? `'${record.id}'` : `service '${service.name}' of '${record.id}'`;
    const { id } = await this.call(`create the container for ${what}`, () =>
      this.podman.createContainer(spec),
    );
    // Checked before anything starts it; a refused container is not left behind.
    try {
      await assertCreatedUser(this.podman, { appId: record.id, expected: spec.user, container: name });
    } catch (error) {
      await this.removeById(id);
      throw error;
    }
    return id;
  }

  /** The main service as its Tor mode runs it (README "Tor"; tor-mode.ts). */
  private async inTorMode(manifest: AppManifest, service: ServiceSpec, image: string): Promise<ServiceSpec> {
    const mode = await this.options.torModeOf?.(manifest);
    if (mode !== 'tor') return service;
    // Appending needs the argv Podman would run: the image's cmd when the manifest names none (a
    // Bitcoin node's default is bitcoind, as bitcoin-rpc.ts has it).
    const imageCmd =
      service.command !== undefined || service.entrypoint !== undefined
        ? []
        : manifest.bitcoin
          ? ['bitcoind']
          : ((await this.podman.inspectImage(image))?.Config?.Cmd ?? []);
    return withTorMode(manifest, service, mode, imageCmd);
  }

  /**
   * Creates the app's container again (its data, network and name are kept) — with the one-time
   * start arguments of a version change only while they are not spent — and saves the record.
   */
  async recreate(runtime: AppRuntime): Promise<void> {
    await this.ensureNetwork(runtime.record.id, runtime.record.version);
    runtime.record.containerId = await this.create(runtime, argsForCreate(runtime.record.firstStartArgs));
    await this.options.registry.saveRecord(runtime.record);
  }

  /**
   * Creates the container for a version change or a settings change: the one-time start
   * arguments go on the record (so a recreate before the first healthy start keeps them and one
   * after drops them), and the record is saved with the new container.
   */
  async createContainer(runtime: AppRuntime, extraArgs: readonly string[]): Promise<void> {
    await this.ensureNetwork(runtime.record.id, runtime.record.version);
    if (extraArgs.length > 0) runtime.record.firstStartArgs = { args: [...extraArgs], spent: false };
    else delete runtime.record.firstStartArgs;
    runtime.record.containerId = await this.create(runtime, extraArgs);
    await this.options.registry.saveRecord(runtime.record);
  }

  /**
   * Starts the app's containers; Podman's refusal becomes a StartFailed that quotes it. The
   * services of a multi-service app start in dependsOn order, each once those it depends on run
   * (and are healthy, when they declare a check).
   */
  async start(id: string): Promise<void> {
    const runtime = this.options.registry.get(id);
    // A running container holds its own ports (starting it again is a no-op).
    if (runtime && !runtime.container?.running)
      await this.assertPortsFree(runtime.manifest, PORT_FREE_GRACE_MS);
    // The app's Tor is made ready first (a missing tor package stops the start here), and
    // started in the main container's network namespace once that runs.
    const torImage = runtime && (await this.options.tor?.prepare(runtime));
    if (runtime && !torImage) await this.options.tor?.remove(id);
    if (!runtime || !isMultiService(runtime.manifest)) {
      await this.startOne(containerName(id), `'${id}'`);
      if (runtime && torImage) await this.options.tor!.launch(runtime, torImage);
      return;
    }
    const { manifest } = runtime;
    for (const [index, service] of startOrder(manifest).entries()) {
      if (index > 0) await this.options.pause?.('start-services', id);
      const name = containerNameOf(manifest, service);
      await this.startOne(name, `service '${service.name}' of '${id}'`);
      // Only what a later service waits for: its dependencies' readiness.
      if (manifest.services.some((other) => other.dependsOn.includes(service.name))) {
        await waitForService(this.podman, { appId: id, manifest, service, container: name });
      }
    }
    if (torImage) await this.options.tor!.launch(runtime, torImage);
  }

  /**
   * Starts the app's Tor again in the main container's (new) network namespace, after Podman's
   * restart policy restarted the main on its own.
   */
  async relaunchTor(runtime: AppRuntime): Promise<void> {
    const image = await this.options.tor?.prepare(runtime);
    if (image) await this.options.tor!.launch(runtime, image);
  }

  private async startOne(name: string, what: string): Promise<void> {
    try {
      await this.podman.startContainer(name);
    } catch (error) {
      throw new ArchyError(
        RpcErrorCode.StartFailed,
        `could not start ${what}: ${error instanceof PodmanError ? error.podmanMessage : (error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Starts the container, forgets the old health and probes the new run. */
  async startContainer(runtime: AppRuntime): Promise<void> {
    await this.start(runtime.record.id);
    runtime.health = undefined;
    await this.refresh(runtime);
    this.options.health.watch(runtime);
  }

  /** Stops the app's container if there is one of ours (no probes, no pending restarts meanwhile). */
  async stop(runtime: AppRuntime): Promise<void> {
    const { manifest, record } = runtime;
    const id = record.id;
    this.options.health.unwatch(id);
    await this.options.tor?.stop(id);
    // Reverse start order: a service goes before those it depends on.
    for (const service of stopOrder(manifest)) {
      const name = containerNameOf(manifest, service);
      if (!(await this.inspectOwned(id, name))) continue;
      const what = isMainService(manifest, service) ? `'${id}'` : `service '${service.name}' of '${id}'`;
      await this.call(`stop ${what}`, () =>
        this.podman.stopContainer(name, Math.ceil(service.stopTimeout / 1000)),
      );
    }
    await this.refresh(runtime);
  }

  /**
   * Restarts a running container; its `died` event is then the daemon's own (ownRestart), not
   * a failure of the app.
   */
  async restart(runtime: AppRuntime): Promise<void> {
    const id = runtime.record.id;
    markOwnStop(runtime);
    // The main's restart gives it a new network namespace: its Tor stops first and starts anew after.
    const torImage = await this.options.tor?.prepare(runtime);
    await this.options.tor?.stop(id);
    if (!isMultiService(runtime.manifest)) {
      await this.call(`restart '${id}'`, () =>
        this.podman.restartContainer(containerName(id), this.stopTimeoutSeconds(runtime)),
      );
      if (torImage) await this.options.tor!.launch(runtime, torImage);
      return;
    }
    // The whole app, in order: every service's death on the way is the daemon's own (markOwnStop).
    for (const service of stopOrder(runtime.manifest)) {
      const name = containerNameOf(runtime.manifest, service);
      await this.call(`stop '${name}' to restart '${id}'`, () =>
        this.podman.stopContainer(name, Math.ceil(service.stopTimeout / 1000)),
      );
    }
    // start() launches the app's Tor again.
    await this.start(id);
  }

  /**
   * Removes the app's containers: the main by name, every other service's by the app's label
   * (so a service a newer manifest no longer has goes too).
   */
  async removeContainerQuietly(id: string): Promise<void> {
    try {
      // First: Podman refuses to remove the main while its Tor shares its network namespace.
      await this.options.tor?.remove(id);
      await this.podman.removeContainer(containerName(id), { force: true });
      const others = await this.podman.listContainers({
        all: true,
        labels: { [LABEL.dataDir]: this.layout.root, [LABEL.app]: id },
      });
      for (const container of others) {
        // An app's service containers carry the service label, its Tor the tor label (left by a
        // crash); anything else with the app's label (an image-user throwaway) is not this call's.
        if (container.Labels?.[LABEL.service] === undefined && container.Labels?.[LABEL.tor] === undefined)
          continue;
        await this.podman.removeContainer(container.Id, { force: true });
      }
    } catch (error) {
      this.options.log.warn({ app: id, err: error }, 'could not remove container');
    }
  }

  /** Removes the app's containers if there are any of ours, and forgets them. */
  async removeContainer(id: string): Promise<void> {
    await this.removeContainerQuietly(id);
    const runtime = this.options.registry.get(id);
    if (runtime) {
      runtime.container = undefined;
      if (runtime.services) runtime.services = {};
    }
  }

  /** Removes a container by id whatever its name (a throwaway left by a crash). */
  async removeById(containerId: string): Promise<void> {
    await this.podman.removeContainer(containerId, { force: true }).catch(() => false);
  }

  stopTimeoutSeconds(runtime: AppRuntime): number {
    return Math.ceil(runtime.manifest.stopTimeout / 1000);
  }

  /** The version switch's stop: the container (if any) with the manifest's stop timeout, unprobed. */
  stopContainer(runtime: AppRuntime): Promise<void> {
    return this.stop(runtime);
  }

  waitUntilHealthy(runtime: AppRuntime): Promise<{ ok: true } | { ok: false; why: string }> {
    return this.options.versionChangeNeeds().waitUntilHealthy(runtime);
  }

  dropFirstStartArgs(runtime: AppRuntime): Promise<void> {
    return this.options.versionChangeNeeds().dropFirstStartArgs(runtime);
  }

  provideImage(runtime: AppRuntime, target: CatalogVersion): Promise<string> {
    return this.options.versionChangeNeeds().provideImage(runtime, target);
  }

  // ---- networks, secrets, data --------------------------------------------------------------

  async ensureNetwork(id: string, version: string): Promise<void> {
    await this.ensureOwnedNetwork(networkName(id), `the network for '${id}'`, id, version);
  }

  /**
   * The network of a multi-service app's own services: each aliased by its service name, no
   * other app's container on it (isolated like the app's network).
   */
  private async ensureServicesNetwork(id: string, version: string): Promise<void> {
    await this.ensureOwnedNetwork(servicesNetworkName(id), `the services network for '${id}'`, id, version);
  }

  /** Creates one of the app's networks unless ours exists; refuses one of that name that is not ours. */
  private async ensureOwnedNetwork(name: string, what: string, id: string, version: string): Promise<void> {
    const existing = await this.podman.inspectNetwork(name);
    if (existing) {
      if (this.owns(existing.labels)) return;
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `a Podman network named '${name}' exists and is not this daemon's; remove it with 'podman network rm ${name}'`,
      );
    }
    await this.call(`create ${what}`, () =>
      this.podman.createNetwork({
        name,
        labels: labelsFor(id, version, this.layout.root),
        // Without isolate, rootless bridge networks can reach each other by IP.
        options: { isolate: 'true' },
      }),
    );
  }

  /** Removes the app's network and its services network, whichever exist. */
  async removeNetworkQuietly(id: string): Promise<void> {
    try {
      await this.podman.removeNetwork(networkName(id));
    } catch (error) {
      this.options.log.warn({ app: id, err: error }, 'could not remove network');
    }
    await this.removeServicesNetwork(id);
  }

  /** Removes the app's networks if there are any. */
  async removeNetwork(id: string): Promise<void> {
    if (await this.podman.inspectNetwork(networkName(id))) await this.removeNetworkQuietly(id);
    else await this.removeServicesNetwork(id);
  }

  private async removeServicesNetwork(id: string): Promise<void> {
    const name = servicesNetworkName(id);
    try {
      const existing = await this.podman.inspectNetwork(name);
      if (existing && this.owns(existing.labels)) await this.podman.removeNetwork(name);
    } catch (error) {
      this.options.log.warn({ app: id, err: error }, 'could not remove the services network');
    }
  }

  async removePodmanSecrets(id: string): Promise<void> {
    try {
      await removePodmanSecrets(this.podman, id, { [LABEL.dataDir]: this.layout.root });
    } catch (error) {
      this.options.log.warn({ app: id, err: error }, 'could not remove the Podman secrets');
    }
  }

  /**
   * Creates the app's data dir and volume dirs, refusing links planted where they belong. A volume
   * with `seed:` that this creates gets the seed's files from `seedBase` (the manifest's folder);
   * one that exists (kept data) is left as it is.
   */
  async prepareDataDirs(manifest: AppManifest, seedBase?: string): Promise<void> {
    // Before mkdir -p, which would follow a symlink planted where a volume dir belongs.
    await assertVolumeDirsSafe(this.layout, manifest);
    // Every new volume's seed is read (and refused) before anything is made.
    const seeds = new Map<string, SeedEntry[]>();
    for (const volume of manifest.volumes ?? []) {
      if (volume.seed === undefined || this.layout.boundVolume(manifest.id, volume.name) !== undefined)
        continue;
      if (await pathExists(this.layout.volumeDir(manifest.id, volume.name))) continue;
      if (seedBase === undefined) throw new Error(`no folder to seed volume '${volume.name}' from`);
      seeds.set(volume.name, readSeed(manifest.id, seedBase, { ...volume, seed: volume.seed }));
    }
    await mkdir(this.layout.appDataDir(manifest.id), { recursive: true, mode: 0o700 });
    for (const volume of manifest.volumes ?? []) {
      // An adopted volume is the user's existing folder (checked above): never made here.
      if (this.layout.boundVolume(manifest.id, volume.name) !== undefined) continue;
      const seed = seeds.get(volume.name);
      if (seed) await writeSeededVolume(this.layout.volumeDir(manifest.id, volume.name), seed);
      else await mkdir(this.layout.volumeDir(manifest.id, volume.name), { recursive: true, mode: 0o700 });
    }
  }

  appDataDir(id: string): string {
    return this.layout.appDataDir(id);
  }

  hasAppData(id: string): Promise<boolean> {
    return pathExists(this.layout.appDataDir(id));
  }

  clearEmptyAppData(id: string): Promise<boolean> {
    return removeIfEmptyTree(this.layout.appDataDir(id));
  }

  appDataEmpty(id: string): Promise<boolean> {
    return isEmptyTree(this.layout.appDataDir(id));
  }

  /** The switch's only data move: one rename inside the data dir (the target must not exist). */
  moveAppData(fromId: string, toId: string): Promise<void> {
    return rename(this.layout.appDataDir(fromId), this.layout.appDataDir(toId));
  }

  /** Copies the app's stored secrets to another app id (the switch keeps the RPC credentials). */
  async copySecrets(from: string, to: string): Promise<void> {
    const secrets = this.options.secrets;
    if (!secrets) return;
    for (const name of await secrets.list(from)) {
      const value = await secrets.get(from, name);
      if (value !== undefined) await secrets.set(to, name, value);
    }
  }

  // ---- images -------------------------------------------------------------------------------

  async pullImage(id: string, image: string): Promise<void> {
    if (await this.podman.imageExists(image)) return;
    const tlsVerify = !this.options.insecureRegistries.has(registryOf(image));
    try {
      await this.podman.pullImage(image, {
        tlsVerify,
        onProgress: (progress) => this.options.events.emit('pull-progress', { id, image, ...progress }),
      });
    } catch (error) {
      const detail = error instanceof PodmanError ? error.podmanMessage : (error as Error).message;
      const hint = tlsVerify
        ? 'check the image name and that its registry is reachable (a plain-HTTP registry must be listed in ARCHY_INSECURE_REGISTRIES)'
        : 'check the image name and that its registry is reachable';
      throw new ArchyError(RpcErrorCode.ImageUnavailable, `could not pull ${image}: ${detail}; ${hint}`, {
        cause: error,
      });
    }
  }

  // ---- ports --------------------------------------------------------------------------------

  /** At install: no other app claims these host ports, and nothing else holds them. */
  async checkPortsAvailable(manifest: AppManifest): Promise<void> {
    for (const [index, port] of (manifest.ports ?? []).entries()) {
      const other = this.options.registry.appUsingPort(port.host, port.protocol, manifest.id);
      if (other) {
        throw new ArchyError(
          RpcErrorCode.Conflict,
          `host port ${port.host}/${port.protocol} (ports[${index}].host) is already used by app '${other.record.id}'; choose another host port in the manifest`,
        );
      }
    }
    await this.assertPortsFree(manifest, 0);
  }

  /** Reserved or taken host ports refused, naming who has them; at install and at every start. */
  assertPortsFree(manifest: AppManifest, graceMs: number): Promise<void> {
    return assertHostPortsFree(manifest.ports ?? [], {
      reserved: this.options.reservedPorts?.() ?? [],
      graceMs,
      appUsing: (port, protocol) =>
        this.options.registry.appUsingPort(port, protocol, manifest.id)?.record.id,
    });
  }

  // ---- logs ---------------------------------------------------------------------------------

  /**
   * The app's log lines. A multi-service app's carry their service: one service's with
   * `service`, else every service's merged (see service-logs.ts).
   */
  async *logs(
    id: string,
    request: { follow: boolean; tail?: number; signal?: AbortSignal; service?: string },
  ): AsyncIterable<LogLine> {
    const manifest = this.options.registry.get(id)?.manifest;
    const { service, ...podmanRequest } = request;
    if (service !== undefined && manifest && !manifest.services.some((s) => s.name === service)) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `'${id}' has no service '${service}'; its services: ${manifest.services.map((s) => s.name).join(', ')}`,
      );
    }
    try {
      if (!manifest || !isMultiService(manifest)) {
        for await (const line of this.podman.containerLogs(containerName(id), podmanRequest)) {
          yield { stream: line.stream, line: line.line };
        }
        return;
      }
      const chosen = manifest.services.filter((s) => service === undefined || s.name === service);
      yield* mergeServiceLogs(
        chosen.map((s) => ({
          service: s.name,
          lines: this.podman.containerLogs(containerNameOf(manifest, s), podmanRequest),
        })),
        { follow: request.follow },
      );
    } catch (error) {
      if (request.signal?.aborted) return;
      throw this.failure(error, `read the logs of '${id}'`);
    }
  }

  /** The container's last `count` log lines; empty when they cannot be read (context only). */
  async lastLogs(id: string, count: number): Promise<string[]> {
    const lines: string[] = [];
    try {
      for await (const line of this.podman.containerLogs(containerName(id), { follow: false, tail: count })) {
        lines.push(line.line);
      }
    } catch {
      // Context for the user only.
    }
    return lines.slice(-count);
  }

  /** The StartFailed for a container that exited right after starting, quoting its decisive output. */
  async exitedAtOnce(runtime: AppRuntime, exitCode?: number): Promise<ArchyError> {
    const id = runtime.record.id;
    // Podman records the exit code a moment after the state flips; ask once more if it's missing.
    const code = exitCode ?? runtime.container?.exitCode ?? (await this.inspectOwned(id))?.State.ExitCode;
    const output = decisiveExitOutput(await this.lastLogs(id, EXIT_OUTPUT_TAIL), {
      bitcoin: runtime.manifest.bitcoin !== undefined,
      approvedArgs: argsForCreate(runtime.record.firstStartArgs),
    });
    return new ArchyError(
      RpcErrorCode.StartFailed,
      `'${id}' exited${code !== undefined ? ` with status ${code}` : ''} right after starting${describeExitOutput(output)}`,
      { data: { exitCode: code, logs: output.lines } },
    );
  }

  // ---- errors -------------------------------------------------------------------------------

  /** Runs a Podman call, turning its failure into an error that says what we were doing. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.failure(error, what);
    }
  }

  failure(error: unknown, what: string): ArchyError {
    if (error instanceof ArchyError) return error;
    const detail = error instanceof PodmanError ? error.podmanMessage : (error as Error).message;
    return new ArchyError(RpcErrorCode.PodmanError, `could not ${what}: ${detail}`, { cause: error });
  }
}

/** What Podman's inspect says about a container, as the runtime keeps it. */
function observedOf(inspect: ContainerInspect | undefined): ObservedContainer | undefined {
  if (!inspect) return undefined;
  const observed: ObservedContainer = { id: inspect.Id, running: inspect.State.Running };
  if (!inspect.State.Running) observed.exitCode = inspect.State.ExitCode;
  if (inspect.State.StartedAt && !inspect.State.StartedAt.startsWith('0001')) {
    observed.startedAt = new Date(inspect.State.StartedAt).toISOString();
  }
  return observed;
}
