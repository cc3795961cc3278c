import { mkdir, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import {
  RpcErrorCode,
  type AppHealth,
  type AppStatus,
  type DaemonEvents,
  type LogLine,
} from '../api/contract.js';
import {
  healthCheckFor,
  HealthMonitor,
  HealthTracker,
  containerProbeTarget,
  type ProbeTarget,
} from '../health/index.js';
import { parseManifest, type AppManifest } from '../manifest/index.js';
import { PodmanError, type PodmanClient, type PodmanEvent } from '../podman/index.js';
import { isValidAppId } from '../util/app-id.js';
import { ArchyError, notFound } from '../util/errors.js';
import { TypedEventBus } from '../util/event-bus.js';
import { KeyedQueue } from '../util/keyed-queue.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { removeAppTree } from './app-data-removal.js';
import { AppRecordStore, type AppRecord } from './app-record.js';
import { runKey, toStatus, type AppRuntime, type ObservedContainer } from './app-runtime.js';
import { Supervisor } from './supervisor.js';
import type { ImageTrust } from './image-trust.js';
import { stepsByApp } from './plan-steps.js';
import {
  bindingsOf,
  bootOrder,
  dependencyLinks,
  planInstall,
  planRemove,
  planStart,
  planStop,
  type AvailableApp,
  type InstalledApp,
} from '../resolver/index.js';
import { buildContainerSpec } from './container-spec.js';
import { DataLayout } from './data-layout.js';
import { staleVolumeMounts } from './container-mounts.js';
import type { ReservedPort } from './host-ports.js';
import { assertHostPortsFree } from './port-check.js';
import { registryHost } from './image-ref.js';
import type { AppLifecycle, InstallRequest, LogOptions } from './lifecycle.js';
import { containerName, LABEL, labelsFor, networkName } from './naming.js';
import { unforwardedPorts } from './port-forwarding.js';
import { chooseCatalogVersion } from '../catalog/index.js';
import { removePodmanSecrets, type SecretStore } from '../security/secrets/index.js';
import {
  assertManifestAllowed,
  assertVolumeDirsSafe,
  type HostConfinement,
} from '../security/policy/index.js';
import type { AuditRecord } from '../security/audit/index.js';
import { AppConfigStore } from './app-config.js';
import { bitcoinRpcCredentials, withBitcoinRpcSecrets } from './bitcoin-rpc.js';
import { ACCOUNTS_PURPOSE_LABEL, assertCreatedUser, resolveImageUserOf } from './app-user.js';
import type { CatalogService } from './catalog-service.js';
import { UnshareDatadirAccess, type DatadirAccess } from './datadir-access.js';
import { BitcoinDatadirs, type GuardedStart, type StartConfirmation } from './bitcoin-datadir.js';
import { decisiveExitOutput, describeExitOutput, EXIT_OUTPUT_TAIL } from './exit-output.js';
import { argsForCreate, firstStartArgsStep } from './first-start-args.js';
import { IntentJournal, type Intent } from './intent-journal.js';
import { testPauseHook, type PauseHook } from './test-pause.js';
import { AppVersionControl } from './version-control.js';
import { VersionSwitch, type AppOperations } from './version-switch.js';
import { pathExists } from '../util/path-exists.js';
import { byCodeUnits } from '../util/compare.js';
import type { CatalogVersion } from '../catalog/index.js';
import type { BitcoinSettings } from '../api/contract.js';
import {
  applyBitcoinSettings,
  checkChainMatchesData,
  planPruneChange,
  requestedSettings,
  settingsOfManifest,
} from '../bitcoin/chain-settings.js';
import {
  ImageProvisioner,
  LocalImages,
  NodeImageBuilder,
  ReleaseCache,
  releaseArchOf,
  type ImageProvenance,
  type ProvisionProgress,
} from '../provisioning/index.js';

export interface OrchestratorOptions {
  podman: PodmanClient;
  dataDir: string;
  /** Folder of bundled app manifests: `<dir>/<id>/manifest.yml`. */
  appsDir: string;
  /** Registries (host:port) that may be pulled from over plain HTTP. */
  insecureRegistries: ReadonlySet<string>;
  /** Which image reference an app runs: its verified digest (see ImageTrust). */
  imageTrust: ImageTrust;
  /** Admission control: refuses an install the host has no room for; returns warnings. */
  admission?: { admit(app: { id: string; resources: AppManifest['resources'] }): Promise<string[]> };
  logger: Logger;
  /** The signed catalog: version choice at install, set-version, updates. Absent: manifest versions only. */
  catalog?: CatalogService;
  /** Per-app secrets (Bitcoin RPC credentials are generated and injected from here). */
  secrets?: SecretStore;
  /** How Bitcoin datadirs owned by container users are read (default: through podman unshare). */
  datadirs?: DatadirAccess;
  /** Where the daemon's own actions (auto-updates) are recorded. */
  audit?: { append(record: AuditRecord): Promise<unknown> };
  /** Test hook (ARCHY_TEST_PAUSE_AT); the default reads the environment. */
  pause?: PauseHook;
  /** AppArmor/SELinux the host can apply, detected once at daemon start; absent adds none. */
  confinement?: HostConfinement;
  /** The official release build this node runs (default: this machine's CPU, e.g. x86_64-linux-gnu). */
  releaseArch?: string;
  /** Host ports no app may publish: the daemon's API, its local registry (read at each check). */
  reservedPorts?: () => readonly ReservedPort[];
}

/** A start right after a stop may wait this long for the old container's port forwarder to go. */
const PORT_FREE_GRACE_MS = 3_000;

/** A container that lives at least this long after starting didn't "exit at once". */
const SETTLE_MS = 1_000;
/** How long an install waits for a first healthy probe before returning the app as starting. */
const READY_WAIT_CAP_MS = 20_000;
const READY_POLL_MS = 50;
/** How long an install waits for a dependency to come up before giving up on the plan. */
const DEPENDENCY_WAIT_MS = 120_000;
/** The longest a version change waits for the new version to be healthy before restoring the old one. */
const VERSION_HEALTH_WAIT_CAP_MS = 10 * 60_000;

/**
 * Installs and supervises apps on rootless Podman. Every change to an app runs on that app's
 * queue; the in-memory runtimes are the daemon's view, kept current by Podman's events, and
 * the records on disk are what survives a restart.
 */
export class Orchestrator implements AppLifecycle {
  readonly events = new TypedEventBus<DaemonEvents>();
  private readonly podman: PodmanClient;
  private readonly layout: DataLayout;
  private readonly store: AppRecordStore;
  private readonly queue = new KeyedQueue();
  private readonly runtimes = new Map<string, AppRuntime>();
  private readonly monitor: HealthMonitor;
  private readonly supervisor: Supervisor;
  private readonly log: Logger;
  private readonly journal: IntentJournal;
  private readonly configs: AppConfigStore;
  private readonly pause: PauseHook;
  private readonly datadirs: DatadirAccess;
  private readonly bitcoinDatadirs: BitcoinDatadirs;
  private readonly versionSwitch: VersionSwitch | undefined;
  private readonly provisioner: ImageProvisioner;
  /** Provenance of the images this node built, by image ID (what records' runImage names). */
  private readonly builtImages = new Map<string, ImageProvenance>();
  /** What an install in flight needs to make its image (the release, a brought file, the recipe's folder). */
  private readonly pendingImages = new Map<string, PendingImage>();
  /** The images this node built itself: provenance and SBOM per app version. */
  readonly localImages: LocalImages;
  /** Versions, catalog and updates; present when the daemon has a catalog. */
  readonly versions: AppVersionControl | undefined;

  constructor(private readonly options: OrchestratorOptions) {
    this.podman = options.podman;
    this.layout = new DataLayout(options.dataDir);
    this.store = new AppRecordStore(this.layout);
    this.log = options.logger;
    this.journal = new IntentJournal(options.dataDir);
    this.configs = new AppConfigStore(this.layout);
    this.pause = options.pause ?? testPauseHook(options.logger);
    this.datadirs =
      options.datadirs ?? new UnshareDatadirAccess({ scratchDir: join(this.layout.runDir, 'scratch') });
    this.bitcoinDatadirs = new BitcoinDatadirs({
      access: this.datadirs,
      volumeDir: (owner, volume) => this.layout.volumeDir(owner, volume),
    });
    this.localImages = new LocalImages(this.layout.imagesDir);
    this.provisioner = new ImageProvisioner({
      trust: options.imageTrust,
      images: this.localImages,
      cache: new ReleaseCache(this.layout.releasesDir),
      builder: new NodeImageBuilder({
        images: this.localImages,
        // Inside the data dir: the same disk as the result, and removed after every build.
        workRoot: join(this.layout.releasesDir, 'build'),
        podmanUrl: `unix://${this.podman.socketPath}`,
      }),
      arch: options.releaseArch ?? releaseArchOf(),
      imageExists: (reference) => this.podman.imageExists(reference),
      pull: (appId, reference) => this.pullImage(appId, reference),
      logger: this.log,
    });
    if (options.catalog) {
      const log = (level: 'info' | 'warn' | 'error', details: object, message: string) =>
        this.log[level](details, message);
      this.versionSwitch = new VersionSwitch({
        ops: this.appOperations(),
        catalog: options.catalog,
        configs: this.configs,
        journal: this.journal,
        bitcoinDatadirs: this.bitcoinDatadirs,
        pause: this.pause,
        log,
      });
      this.versions = new AppVersionControl({
        catalog: options.catalog,
        configs: this.configs,
        switcher: this.versionSwitch,
        appInfo: async (id) => {
          const runtime = this.runtimes.get(id);
          if (runtime) return { installedVersion: runtime.record.version, manifest: runtime.manifest };
          return { manifest: parseManifest(await this.readBundled(id), this.bundledPath(id)) };
        },
        installedIds: () => [...this.runtimes.keys()].sort(),
        changeBitcoinPrune: (id, prune, confirmResync) => this.changeBitcoinPrune(id, prune, confirmResync),
        ...(options.audit && { audit: options.audit }),
        log,
      });
    } else {
      this.versionSwitch = undefined;
      this.versions = undefined;
    }
    this.monitor = new HealthMonitor((id, tracker, result) => {
      const runtime = this.runtimes.get(id);
      if (!runtime) return;
      this.publish(runtime);
      if (tracker.status === 'unhealthy' && !runtime.transition && runtime.record.desired === 'running') {
        this.supervisor.failed(id, `unhealthy: ${result.detail}`);
      }
      if (tracker.status === 'healthy' && runtime.manifest.bitcoin) this.markRunOnce(runtime);
      // Healthy once with -reindex(-chainstate): recreate without it, so no restart reindexes again.
      // Queued behind whatever operation is running (a start, a restart), which may not wait for it.
      if (tracker.status === 'healthy' && runtime.record.firstStartArgs) {
        void this.queue
          .run(id, () => this.settleFirstStartArgs(id, { healthy: true }))
          .catch((error: unknown) =>
            this.log.error({ app: id, err: error }, 'could not drop the one-time start arguments'),
          );
      }
    });
    this.supervisor = new Supervisor({
      restart: (id) => this.supervisedRestart(id),
      giveUp: (id, failures, why) => void this.enterCrashLoop(id, failures, why),
      note: (id, message) => {
        const runtime = this.runtimes.get(id);
        if (!runtime) return;
        runtime.message = message;
        this.publish(runtime);
      },
    });
  }

  get dataLayout(): DataLayout {
    return this.layout;
  }

  // ---- queries ------------------------------------------------------------------------------

  async list(): Promise<AppStatus[]> {
    return [...this.runtimes.values()]
      .sort((a, b) => byCodeUnits(a.record.id, b.record.id))
      .map((runtime) => this.statusOf(runtime));
  }

  async status(id: string): Promise<AppStatus> {
    return this.statusOf(this.runtime(id));
  }

  /** The SBOM of the image an app runs, when this node built it. */
  async sbom(
    id: string,
  ): Promise<{ id: string; version: string; format: string; sha256: string; sbom: string }> {
    const runtime = this.runtime(id);
    const provenance = this.provenanceOf(runtime);
    const sbom = provenance && (await this.localImages.sbom(id, runtime.record.version));
    if (!provenance || sbom === undefined) {
      throw new ArchyError(
        RpcErrorCode.NotFound,
        `'${id}' runs ${runtime.record.runImage ?? runtime.record.image}, which this node did not build, so it holds no SBOM ` +
          'for it; an image from a registry carries its publisher’s SBOM as a cosign attestation',
      );
    }
    return {
      id,
      version: runtime.record.version,
      format: provenance.sbom.format,
      sha256: provenance.sbom.sha256,
      sbom,
    };
  }

  /** What the API shows for an app: its state, plus the provenance of an image this node built. */
  private statusOf(runtime: AppRuntime): AppStatus {
    const status = toStatus(runtime);
    const provenance = this.provenanceOf(runtime);
    const bitcoin = runtime.record.bitcoin ?? settingsOfManifest(runtime.manifest);
    return {
      ...status,
      ...(provenance && { provenance: provenanceReport(provenance) }),
      ...(bitcoin && { bitcoin }),
    };
  }

  private provenanceOf(runtime: AppRuntime): ImageProvenance | undefined {
    const runImage = runtime.record.runImage;
    const known = runImage === undefined ? undefined : this.builtImages.get(runImage);
    return known && known.appId === runtime.record.id && known.version === runtime.record.version
      ? known
      : undefined;
  }

  /** Remembers the provenance of an image this node built (read back at boot from DATA_DIR/images). */
  private rememberBuilt(provenance: ImageProvenance | undefined): void {
    if (provenance) this.builtImages.set(provenance.imageId, provenance);
  }

  async health(id: string): Promise<AppHealth> {
    const runtime = this.runtime(id);
    const status = toStatus(runtime);
    return {
      id,
      status: status.health,
      probes: runtime.health?.probes ?? [],
      restartCount: runtime.restartCount,
      since: runtime.health?.since ?? runtime.record.installedAt,
      ...(runtime.health?.lastSync && { sync: runtime.health.lastSync }),
    };
  }

  async *logs(id: string, options: LogOptions): AsyncIterable<LogLine> {
    const runtime = this.runtime(id);
    if (!runtime.container) return;
    const request: { follow: boolean; tail?: number; signal?: AbortSignal } = {
      follow: options.follow ?? false,
    };
    if (options.tail !== undefined) request.tail = options.tail;
    if (options.signal) request.signal = options.signal;
    try {
      for await (const line of this.podman.containerLogs(runtime.container.id, request)) {
        yield { stream: line.stream, line: line.line };
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      throw this.podmanFailure(error, `read the logs of '${id}'`);
    }
  }

  // ---- install ------------------------------------------------------------------------------

  async install(request: InstallRequest): Promise<AppStatus> {
    const loaded = await this.loadManifest(request);
    const settings = requestedSettings(loaded, request);
    const manifest = settings ? applyBitcoinSettings(loaded, settings) : loaded;
    // Refused before anything is reserved, admitted or pulled (container-spec checks it again).
    this.assertPolicyAllows(
      manifest,
      request.source.kind === 'manifest' ? request.source.file : this.bundledPath(manifest.id),
    );
    const selected = this.selectInstallVersion(manifest, request);
    const available = await this.availableApps();
    const targetYaml =
      request.source.kind === 'manifest' ? request.source.yaml : await this.readBundled(manifest.id);
    // From planning to reserving every app the plan installs there is no await: a concurrent
    // install plans against these reservations, so two conflicting apps can never both pass.
    const plan = planInstall({
      target: manifest,
      available,
      installed: this.installedApps(),
      ...(request.choices ? { choices: request.choices } : {}),
    });
    const steps = stepsByApp(plan);
    // The dependencies this plan installs answer to the same policy, before any is reserved.
    for (const step of steps.filter((s) => s.install && s.id !== manifest.id)) {
      this.assertPolicyAllows(
        available.find((a) => a.manifest.id === step.id)!.manifest,
        this.bundledPath(step.id),
      );
    }
    const reserved: AppRuntime[] = [];
    for (const step of steps.filter((s) => s.install)) {
      const isTarget = step.id === manifest.id;
      const stepManifest = isTarget ? manifest : available.find((a) => a.manifest.id === step.id)!.manifest;
      reserved.push(
        this.reserveInstall(stepManifest, {
          ...(isTarget && { selected }),
          ...(isTarget && settings && { bitcoin: settings }),
          ...(isTarget && request.from !== undefined && { from: request.from }),
          ...(isTarget &&
            request.source.kind === 'manifest' &&
            request.source.dir !== undefined && {
              manifestDir: request.source.dir,
            }),
          yaml: isTarget ? targetYaml : undefined,
          file:
            isTarget && request.source.kind === 'manifest' ? request.source.file : this.bundledPath(step.id),
          bindings: bindingsOf(plan.dependencies[step.id] ?? []),
        }),
      );
    }
    try {
      // After reserving: the other installs in flight are counted against the same headroom.
      for (const runtime of reserved) {
        const warnings =
          (await this.options.admission?.admit({
            id: runtime.record.id,
            resources: runtime.manifest.resources,
          })) ?? [];
        for (const warning of warnings) this.log.warn({ app: runtime.record.id }, warning);
      }
      for (const step of steps) {
        await this.waitForDependencies(step.id, step.waitFor);
        const runtime = reserved.find((r) => r.record.id === step.id);
        if (runtime) {
          const isTarget = step.id === manifest.id;
          await this.queue.run(step.id, () =>
            this.completeInstall(runtime, {
              start: step.start,
              waitForHealthy: isTarget,
              ...(isTarget && { confirm: confirmationOf(request) }),
            }),
          );
        } else if (step.start) {
          await this.startOne(step.id);
        }
      }
    } catch (error) {
      // The failed app rolled itself back; the dependencies this plan installed go too.
      for (const runtime of reserved.reverse()) {
        if (this.runtimes.get(runtime.record.id) === runtime) {
          await this.queue.run(runtime.record.id, () => this.rollBackInstall(runtime.record));
        }
      }
      throw error;
    }
    return this.status(manifest.id);
  }

  /**
   * The version an install runs. A bundled app the catalog lists installs at a catalog version
   * (the one asked for, else the default) whose image is in the manifest's repository; any other
   * app only at its manifest's version.
   */
  private selectInstallVersion(manifest: AppManifest, request: InstallRequest): SelectedVersion {
    const entry = request.source.kind === 'bundled' ? this.options.catalog?.entry(manifest.id) : undefined;
    if (entry) {
      const chosen = chooseCatalogVersion(entry, manifest.image, request.version);
      return {
        version: chosen.version,
        image: chosen.image,
        ...(chosen.digest !== undefined && { digest: chosen.digest }),
        ...(chosen.release !== undefined && { release: chosen.release }),
      };
    }
    if (request.version !== undefined && request.version !== manifest.version) {
      throw new ArchyError(
        RpcErrorCode.NotFound,
        `version ${request.version} of '${manifest.id}' is not available; this manifest provides ${manifest.version}`,
      );
    }
    return { version: manifest.version, image: manifest.image };
  }

  /**
   * The container policy's verdict on a manifest about to be installed: a PolicyError naming
   * `file` and each refused field, else its warnings go to the log. No capability is granted
   * beyond the allowlist: grants will come from the app's signed catalog entry (confirmed by the
   * user) once the catalog format carries them; no entry grants any today.
   */
  private assertPolicyAllows(manifest: AppManifest, file: string): void {
    for (const warning of assertManifestAllowed(manifest, { file, grantedCapabilities: [] })) {
      this.log.warn({ app: manifest.id }, warning);
    }
  }

  /** Registers an app as installing, synchronously (see install). */
  private reserveInstall(
    manifest: AppManifest,
    source: {
      yaml: string | undefined;
      file: string;
      bindings: Record<string, string>;
      selected?: SelectedVersion;
      /** A release the user brought (--from). */
      from?: string;
      /** The manifest's folder, absolute: where a `build:` recipe's files are. */
      manifestDir?: string;
      bitcoin?: BitcoinSettings;
    },
  ): AppRuntime {
    const id = manifest.id;
    const existing = this.runtimes.get(id);
    if (existing) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${id}' is already installed (version ${existing.record.version}); remove it first with 'archy remove ${id}' (its data is kept)`,
      );
    }
    const record: AppRecord = {
      id,
      manifestYaml: source.yaml ?? '',
      manifestFile: source.file,
      version: source.selected?.version ?? manifest.version,
      image: source.selected?.image ?? manifest.image,
      phase: 'installing',
      desired: 'running',
      installedAt: new Date().toISOString(),
      createdDataDir: false,
      ...(Object.keys(source.bindings).length > 0 ? { bindings: source.bindings } : {}),
      ...(source.selected?.digest !== undefined && { catalogDigest: source.selected.digest }),
      ...(source.bitcoin && { bitcoin: source.bitcoin }),
    };
    const runtime: AppRuntime = { record, manifest, transition: 'installing', restartCount: 0 };
    this.runtimes.set(id, runtime);
    this.pendingImages.set(id, {
      ...(source.selected?.release && { release: source.selected.release }),
      ...(source.from !== undefined && { from: source.from }),
      ...(source.manifestDir !== undefined && { manifestDir: source.manifestDir }),
    });
    this.publish(runtime);
    return runtime;
  }

  private async completeInstall(
    runtime: AppRuntime,
    options: { start: boolean; waitForHealthy: boolean; confirm?: StartConfirmation },
  ): Promise<void> {
    const { record, manifest } = runtime;
    const id = record.id;
    const began = Date.now();
    const step = (name: string) =>
      this.log.debug({ app: id, step: name, ms: Date.now() - began }, 'install step');
    try {
      if (record.manifestYaml === '') record.manifestYaml = await readFile(record.manifestFile, 'utf8');
      record.createdDataDir = !(await pathExists(this.layout.appDataDir(id)));
      if (!options.start) record.desired = 'stopped';
      // Written before anything is created: after a crash, boot finds this and rolls back.
      await this.store.save(record);
      await this.journal.write({
        op: 'install',
        app: id,
        to: { id, version: record.version, image: record.image },
        step: 'create',
      });
      await this.pause('install-create', id);
      await this.checkPortsAvailable(manifest);
      const guardNote = await this.guardKeptBitcoinData(runtime, options.confirm);
      await this.prepareDataDirs(manifest);
      // Verified (or built here from verified inputs) before anything runs; the container then
      // runs exactly that digest or image ID.
      const provided = await this.provideImage(runtime, this.pendingImages.get(id) ?? {});
      record.runImage = provided.runImage;
      step('image');
      await this.ensureNetwork(id, record.version);
      step('network');
      record.containerId = await this.createContainer(runtime, argsForCreate(record.firstStartArgs));
      await this.store.save(record);
      step('created');
      if (options.start) await this.startAndWait(runtime, { waitForHealthy: options.waitForHealthy });
      step('ready');
      record.phase = 'installed';
      await this.store.save(record);
      await this.journal.clear(id);
      await this.writeDefaultAppConfig(id);
      if (record.bitcoin) await this.configs.update(id, { prune: record.bitcoin.prune ?? null });
      await this.markVersionIfHealthy(runtime);
      // A confirmed downgrade onto kept data started with a one-time reindex: once healthy the
      // container goes without it (as after a set-version), and the install answers when it is back.
      if (record.firstStartArgs && runtime.health?.status === 'healthy') {
        await this.settleFirstStartArgs(id, { healthy: true });
        await this.waitUntilHealthy(runtime);
      }
      if (runtime.message === guardNote) runtime.message = undefined;
      this.pendingImages.delete(id);
      runtime.transition = undefined;
      this.publish(runtime);
      this.log.info({ app: id, version: record.version }, 'installed');
    } catch (error) {
      this.log.warn({ app: id, err: error }, 'install failed; rolling back');
      await this.rollBackInstall(record);
      throw error;
    }
  }

  /** Waits until each dependency is up as far as its dependent requires (bounded). */
  private async waitForDependencies(
    dependent: string,
    waitFor: ReadonlyArray<{ id: string; requires: 'running' | 'healthy' }>,
  ): Promise<void> {
    for (const { id, requires } of waitFor) {
      const deadline = Date.now() + DEPENDENCY_WAIT_MS;
      for (;;) {
        const runtime = this.runtimes.get(id);
        if (!runtime) throw notFound(id);
        const { state, health } = toStatus(runtime);
        if (state === 'running' && (requires === 'running' || health === 'healthy' || health === 'none'))
          break;
        if (state === 'failed' || state === 'crash-loop' || Date.now() > deadline) {
          throw new ArchyError(
            RpcErrorCode.StartFailed,
            `'${dependent}' needs '${id}' ${requires}, but it is ${state}${health !== 'none' ? ` (${health})` : ''}; see 'archy status ${id}' and 'archy logs ${id}'`,
          );
        }
        await delay(READY_POLL_MS);
      }
    }
  }

  /** Removes everything an install created, leaving the host as it was before it. */
  private async rollBackInstall(record: AppRecord): Promise<void> {
    const id = record.id;
    this.pendingImages.delete(id);
    this.monitor.unwatch(id);
    await this.removeContainerQuietly(id);
    await this.removeNetworkQuietly(id);
    // removeAppTree: the container may have written files as its own (sub-uid) user.
    if (record.createdDataDir) await removeAppTree(this.layout.appDataDir(id));
    await this.store.delete(id);
    await this.journal.clear(id);
    this.runtimes.delete(id);
    this.events.emit('app-removed', { id });
  }

  /**
   * Turns a Bitcoin node's pruning on, resizes it, or (confirmed) off: the container is recreated
   * with the new flags — same data, name, ports and secrets — and started again if it was running.
   */
  changeBitcoinPrune(
    id: string,
    prune: number,
    confirmResync?: string,
  ): Promise<{ settings: BitcoinSettings; message: string }> {
    return this.queue.run(id, async () => {
      const runtime = this.runtime(id);
      const current = runtime.record.bitcoin ?? settingsOfManifest(runtime.manifest);
      const bitcoin = runtime.manifest.bitcoin;
      if (!current || !bitcoin)
        throw new ArchyError(
          RpcErrorCode.InvalidParams,
          `'${id}' is not a Bitcoin node; pruning applies to bitcoin-core and bitcoin-knots`,
        );
      const facts = await this.bitcoinDatadirs.inspect(runtime.manifest, id);
      const change = planPruneChange(id, current, prune, {
        prunedData: facts.prune.pruned,
        ...(confirmResync !== undefined && { confirmResync }),
      });
      if (change.settings.prune === current.prune && change.firstStartArgs.length === 0)
        return { settings: current, message: change.message };

      const ops = this.appOperations();
      const wasRunning = runtime.container?.running ?? false;
      const previous = runtime.transition;
      runtime.transition = 'updating';
      this.publish(runtime);
      try {
        if (wasRunning) await ops.stopContainer(runtime);
        runtime.record.bitcoin = change.settings;
        runtime.manifest = manifestOfRecord(runtime.record);
        await ops.createContainer(runtime, change.firstStartArgs);
        if (wasRunning) await ops.startContainer(runtime);
      } finally {
        runtime.transition = previous;
        this.publish(runtime);
      }
      this.log.info({ app: id, settings: change.settings, args: change.firstStartArgs }, change.message);
      return { settings: change.settings, message: change.message };
    });
  }

  /**
   * Data kept from an earlier install (or brought with an imported manifest) must be for the chain
   * this install follows, and the version guard decides whether this version may start on it — a
   * datadir a newer version wrote is refused or needs the same confirmations as a set-version,
   * and a confirmed downgrade's one-time reindex goes on the record (see bitcoin-datadir.ts).
   */
  private async guardKeptBitcoinData(
    runtime: AppRuntime,
    confirm: StartConfirmation | undefined,
  ): Promise<string | undefined> {
    const { manifest, record } = runtime;
    const bitcoin = manifest.bitcoin;
    if (!bitcoin || record.createdDataDir) return undefined;
    const datadir = this.bitcoinDatadirs.pathOf(manifest, record.id);
    const facts = await this.bitcoinDatadirs.inspect(manifest, record.id);
    if (bitcoin.network !== 'testnet') {
      checkChainMatchesData(record.id, datadir, bitcoin.network, [
        ...facts.networksPresent,
        ...(facts.marker && !facts.networksPresent.includes(facts.marker.network)
          ? [facts.marker.network]
          : []),
      ]);
    }
    const guarded = await this.bitcoinDatadirs.guardStart({
      manifest,
      owner: record.id,
      version: record.version,
      facts,
      ...(confirm && { confirm }),
      howToConfirm: `Nothing was installed; the data in ${datadir} is as it was`,
    });
    return (await this.applyGuardedStart(runtime, guarded)).note;
  }

  /**
   * The version guard before a Bitcoin node starts again on its own datadir: the record's version
   * against the newest version the datadir's evidence names. Throws the refusal before anything
   * changed; the caller applies what it returns (applyGuardedStart). Nothing is checked while a
   * confirmed change still has its one-time arguments pending: that start was guarded when asked for.
   */
  private async checkBitcoinStart(
    runtime: AppRuntime,
    confirm: StartConfirmation | undefined,
    howToConfirm: string,
  ): Promise<GuardedStart | undefined> {
    const { manifest, record } = runtime;
    if (!manifest.bitcoin || (record.firstStartArgs && !record.firstStartArgs.spent)) return undefined;
    return this.bitcoinDatadirs.guardStart({
      manifest,
      owner: record.id,
      version: record.version,
      recorded: record.version,
      ...(confirm && { confirm }),
      howToConfirm,
    });
  }

  /** checkBitcoinStart and applyGuardedStart in one, for the daemon's own starts (nothing to keep as it was). */
  private async guardBitcoinStart(runtime: AppRuntime, howToConfirm: string): Promise<{ recreate: boolean }> {
    return this.applyGuardedStart(runtime, await this.checkBitcoinStart(runtime, undefined, howToConfirm));
  }

  /**
   * Puts a confirmed start's one-time arguments on the record (saved; the container must then be
   * recreated), and what the start means in the app's message while it happens (returned as
   * `note`, so the caller clears it once the start is done).
   */
  private async applyGuardedStart(
    runtime: AppRuntime,
    guarded: GuardedStart | undefined,
  ): Promise<{ recreate: boolean; note?: string }> {
    if (!guarded) return { recreate: false };
    const recreate = guarded.startArgs.length > 0;
    if (recreate) {
      runtime.record.firstStartArgs = { args: guarded.startArgs, spent: false };
      if (runtime.record.phase === 'installed') await this.store.save(runtime.record);
    }
    if (guarded.warning === undefined) return { recreate };
    runtime.message = guarded.warning;
    this.publish(runtime);
    this.log.warn({ app: runtime.record.id, args: guarded.startArgs }, guarded.warning);
    return { recreate, note: guarded.warning };
  }

  /** A Bitcoin node's datadir records the version that ran on it, once it answered healthy. */
  private async markVersionIfHealthy(runtime: AppRuntime): Promise<void> {
    if (!runtime.manifest.bitcoin || runtime.health?.status !== 'healthy') return;
    try {
      await this.bitcoinDatadirs.markRan(runtime.manifest, runtime.record.id, runtime.record.version, {
        banner: true,
      });
      runtime.markedRun = runKey(runtime);
    } catch (error) {
      this.log.warn({ app: runtime.record.id, err: error }, 'could not write the version marker');
    }
  }

  /**
   * Every run of a Bitcoin node that answers healthy is recorded in its datadir's marker, once per
   * container start, on the app's queue (after whatever operation is running finishes, and only if
   * that run is still the one running then): the guard then knows this version accepted the data.
   */
  private markRunOnce(runtime: AppRuntime): void {
    const key = runKey(runtime);
    if (key === undefined || runtime.markedRun === key) return;
    runtime.markedRun = key;
    const id = runtime.record.id;
    void this.queue
      .run(id, async () => {
        const current = this.runtimes.get(id);
        if (current !== runtime || runKey(runtime) !== key || runtime.health?.status !== 'healthy') return;
        await this.bitcoinDatadirs.markRan(runtime.manifest, id, runtime.record.version, { banner: true });
      })
      .catch((error: unknown) => {
        runtime.markedRun = undefined;
        this.log.warn({ app: id, err: error }, 'could not write the version marker');
      });
  }

  // ---- start / stop / restart / remove ------------------------------------------------------

  /** Starts an app after the installed dependencies it needs, refusing a conflicting start. */
  async start(id: string, confirm?: StartConfirmation): Promise<AppStatus> {
    this.runtime(id);
    const plan = planStart({ id, installed: this.installedApps(), available: await this.availableApps() });
    for (const step of stepsByApp(plan)) {
      if (!step.start) continue;
      await this.waitForDependencies(step.id, step.waitFor);
      await this.startOne(step.id, step.id === id ? confirm : undefined);
    }
    return this.status(id);
  }

  private startOne(id: string, confirm?: StartConfirmation): Promise<AppStatus> {
    return this.queue.run(id, async () => {
      const runtime = this.runtime(id);
      // Refused before anything changes: a stopped node stays stopped, as the user left it.
      const checked = runtime.container?.running
        ? undefined
        : await this.checkBitcoinStart(runtime, confirm, `'${id}' was not started`);
      await this.beginUserOperation(runtime, 'running', 'starting');
      try {
        // Never start a container again with a reindex that already ran.
        await this.settleFirstStartArgs(id, { healthy: false });
        const guarded = await this.applyGuardedStart(runtime, checked);
        if (!runtime.container || guarded.recreate) {
          await this.recreateContainer(runtime);
        }
        await this.startAndWait(runtime, { waitForHealthy: false });
        if (guarded.note !== undefined && runtime.message === guarded.note) runtime.message = undefined;
      } finally {
        runtime.transition = undefined;
        this.publish(runtime);
      }
      return this.statusOf(runtime);
    });
  }

  /** Stops an app; running dependents are refused, or stopped first with `cascade`. */
  async stop(id: string, options: { cascade?: boolean } = {}): Promise<AppStatus> {
    this.runtime(id);
    const plan = planStop({ id, installed: this.installedApps(), cascade: options.cascade ?? false });
    for (const dependent of plan.stopFirst) await this.stopOne(dependent);
    return this.stopOne(id);
  }

  private stopOne(id: string): Promise<AppStatus> {
    return this.queue.run(id, async () => {
      const runtime = this.runtime(id);
      // Saved first: whatever happens next, the daemon won't bring the app back on its own.
      await this.beginUserOperation(runtime, 'stopped', 'stopping');
      try {
        this.monitor.unwatch(id);
        if (runtime.container) {
          await this.call(`stop '${id}'`, () =>
            this.podman.stopContainer(containerName(id), this.stopTimeoutSeconds(runtime)),
          );
          await this.refreshContainer(runtime);
        }
      } finally {
        runtime.transition = undefined;
        this.publish(runtime);
      }
      return this.statusOf(runtime);
    });
  }

  restart(id: string, confirm?: StartConfirmation): Promise<AppStatus> {
    return this.queue.run(id, async () => {
      const runtime = this.runtime(id);
      if (!runtime.container) {
        throw new ArchyError(
          RpcErrorCode.Conflict,
          `'${id}' has no container to restart; start it with 'archy start ${id}'`,
        );
      }
      // Refused before anything changes: a running node keeps running.
      const checked = await this.checkBitcoinStart(runtime, confirm, `'${id}' was not restarted`);
      await this.beginUserOperation(runtime, 'running', 'starting');
      try {
        // Never restart a container with a reindex that already ran: recreate it without first.
        await this.settleFirstStartArgs(id, { healthy: false });
        const guarded = await this.applyGuardedStart(runtime, checked);
        this.monitor.unwatch(id);
        if (guarded.recreate) {
          // A confirmed downgrade's one-time reindex: a new container, as a set-version makes one.
          await this.call(`stop '${id}'`, () =>
            this.podman.stopContainer(containerName(id), this.stopTimeoutSeconds(runtime)),
          );
          await this.recreateContainer(runtime);
          await this.startContainerOrFail(id);
        } else {
          await this.call(`restart '${id}'`, () =>
            this.podman.restartContainer(containerName(id), this.stopTimeoutSeconds(runtime)),
          );
        }
        await this.settle(runtime);
        this.watchHealth(runtime);
        if (guarded.note !== undefined && runtime.message === guarded.note) runtime.message = undefined;
      } finally {
        runtime.transition = undefined;
        this.publish(runtime);
      }
      return this.statusOf(runtime);
    });
  }

  async remove(
    id: string,
    options: { purge: boolean; cascade?: boolean },
  ): Promise<{ id: string; purged: boolean }> {
    this.runtime(id);
    const plan = planRemove({ id, installed: this.installedApps(), cascade: options.cascade ?? false });
    for (const dependent of plan.stopFirst) await this.stopOne(dependent);
    return this.removeOne(id, options.purge);
  }

  private removeOne(id: string, purge: boolean): Promise<{ id: string; purged: boolean }> {
    const options = { purge };
    return this.queue.run(id, async () => {
      const runtime = this.runtime(id);
      this.supervisor.reset(id);
      runtime.transition = 'stopping';
      this.publish(runtime);
      this.monitor.unwatch(id);
      if (runtime.container) {
        await this.call(`stop '${id}'`, () =>
          this.podman.stopContainer(containerName(id), this.stopTimeoutSeconds(runtime)),
        );
      }
      await this.removeContainerQuietly(id);
      await this.removeNetworkQuietly(id);
      await this.removePodmanSecretsQuietly(id);
      // The record goes last: a crash before this point leaves an app that remove can finish.
      await this.store.delete(id);
      this.runtimes.delete(id);
      if (options.purge) {
        await removeAppTree(this.layout.appDataDir(id));
        await rm(this.layout.appConfigFile(id), { force: true });
        await this.options.secrets?.removeApp(id);
      }
      this.events.emit('app-removed', { id });
      this.log.info({ app: id, purged: options.purge }, 'removed');
      return { id, purged: options.purge };
    });
  }

  // ---- boot ---------------------------------------------------------------------------------

  /**
   * Brings the daemon's view in line with Podman after a (re)start (the data dir is already in the
   * current layout: runDaemon migrates it before Podman starts): adopts containers that are
   * running (never recreating them), finishes interrupted operations, and puts each app in the
   * state its record asks for.
   */
  async reconcile(): Promise<void> {
    await this.versionSwitch?.recoverSwitches({ load: (id) => this.store.load(id) });
    const records = await this.store.loadAll();
    const containers = await this.call('list containers', () =>
      this.podman.listContainers({ all: true, labels: { [LABEL.dataDir]: this.layout.root } }),
    );
    const known = new Set(records.map((r) => r.id));
    const switches: Array<{ target: AppRuntime; intent: Intent }> = [];
    for (const record of bootSequence(records)) {
      await this.queue.run(record.id, async () => {
        // An interrupted version change first decides which version the reconcile brings up.
        const pending: Intent | undefined = await this.versionSwitch?.recoverBefore(record);
        // A change rolled forward was guarded (and confirmed) when it was asked for.
        await this.reconcileApp(record, { guarded: pending !== undefined });
        const runtime = this.runtimes.get(record.id);
        // A switch is settled once every app is back: undoing it needs the source app's runtime.
        if (pending && runtime && pending.op === 'switch-implementation')
          switches.push({ target: runtime, intent: pending });
        else if (pending && runtime) await this.versionSwitch!.recoverAfter(runtime, pending);
        if (runtime) this.publish(runtime);
      });
    }
    for (const { target, intent } of switches) {
      await this.versionSwitch!.settleRecoveredSwitch(target, intent);
    }
    // Containers of ours without a record: left by a remove that crashed before it finished.
    for (const container of containers) {
      // A throwaway that read an image's account files, left by a crash before its remove.
      if (container.Labels?.[ACCOUNTS_PURPOSE_LABEL]) {
        await this.podman.removeContainer(container.Id, { force: true }).catch(() => false);
        continue;
      }
      const id = container.Labels?.[LABEL.app];
      if (id && !known.has(id)) {
        this.log.warn({ app: id }, 'removing a leftover container with no app record');
        await this.removeContainerQuietly(id);
        await this.removeNetworkQuietly(id);
      }
    }
  }

  private async reconcileApp(record: AppRecord, options: { guarded: boolean }): Promise<void> {
    const id = record.id;
    let manifest: AppManifest;
    try {
      manifest = manifestOfRecord(record);
    } catch (error) {
      this.log.error({ app: id, err: error }, 'the stored manifest no longer parses; leaving the app alone');
      return;
    }
    if (record.phase === 'installing') {
      this.log.warn({ app: id }, 'rolling back an install that was interrupted');
      await this.rollBackInstall(record);
      return;
    }
    const runtime: AppRuntime = { record, manifest, restartCount: 0 };
    this.runtimes.set(id, runtime);
    if (record.runImage?.startsWith('sha256:'))
      this.rememberBuilt(await this.localImages.findByImageId(id, record.version, record.runImage));
    await this.refreshContainer(runtime);
    if (runtime.container && runtime.record.containerId !== runtime.container.id) {
      runtime.record.containerId = runtime.container.id;
      await this.store.save(runtime.record);
    }
    try {
      await this.recreateIfVolumesMoved(runtime);
      // A reindex that already ran (the app was healthy with it) must not start again at boot.
      await this.settleFirstStartArgs(id, { healthy: false });
      if (record.desired === 'running' && !runtime.container?.running) {
        this.log.info({ app: id }, 'starting an app that should be running');
        // Without a user to confirm anything, a start the guard refuses stays undone (message says why).
        if (!options.guarded) {
          await this.guardBitcoinStart(
            runtime,
            `It was not started at boot; once you have decided, start it with 'archy start ${id}' and the confirmation`,
          );
        }
        if (!runtime.container) {
          await this.recreateContainer(runtime);
        }
        await this.startAndWait(runtime, { waitForHealthy: false });
      } else if (record.desired === 'stopped' && runtime.container?.running) {
        await this.podman.stopContainer(containerName(id), this.stopTimeoutSeconds(runtime));
        await this.refreshContainer(runtime);
      } else if (runtime.container?.running) {
        this.log.info({ app: id, container: runtime.container.id }, 'adopted running container');
        this.watchHealth(runtime);
      }
    } catch (error) {
      runtime.message = error instanceof Error ? error.message : String(error);
      this.log.error({ app: id, err: error }, 'could not bring the app to its desired state');
    }
    this.publish(runtime);
  }

  /**
   * Recreates a container whose volumes are not mounted where the layout puts them (one created
   * before the app data moved into DATA_DIR/apps/): stopped first if it runs, then made again from
   * the record, stopped; the reconcile then starts it if the app should run. Any other container
   * is adopted as it is.
   */
  private async recreateIfVolumesMoved(runtime: AppRuntime): Promise<void> {
    if (!runtime.container) return;
    const id = runtime.record.id;
    const inspect = await this.podman.inspectContainer(containerName(id));
    if (!inspect || inspect.Config?.Labels?.[LABEL.dataDir] !== this.layout.root) return;
    const expected = await Promise.all(
      runtime.manifest.volumes.map(async (volume) => {
        const source = this.layout.volumeDir(id, volume.name);
        return { destination: volume.mount, sources: [source, await realpath(source).catch(() => source)] };
      }),
    );
    const problems = staleVolumeMounts(inspect.Mounts, expected);
    if (problems.length === 0) return;
    this.log.warn(
      { app: id, problems },
      'recreating a container whose volumes are not where the app data is',
    );
    const previous = runtime.transition;
    // Its death is the daemon's doing, not a crash for the supervisor.
    runtime.transition = 'updating';
    try {
      if (runtime.container.running) {
        await this.call(`stop '${id}'`, () =>
          this.podman.stopContainer(containerName(id), this.stopTimeoutSeconds(runtime)),
        );
      }
      await this.removeContainerQuietly(id);
      runtime.container = undefined;
      await this.recreateContainer(runtime);
    } finally {
      runtime.transition = previous;
    }
  }

  /** Applies a Podman container event to the app it belongs to. */
  applyContainerEvent(event: Pick<PodmanEvent, 'action' | 'id' | 'attributes' | 'exitCode'>): void {
    const appId = event.attributes[LABEL.app];
    // The stream carries every container's events (the isolation guard needs them all).
    if (!appId || event.attributes[LABEL.dataDir] !== this.layout.root) return;
    const runtime = this.runtimes.get(appId);
    if (!runtime) return;
    // Events of an older container (removed during a reinstall) are stale.
    if (runtime.container && runtime.container.id !== event.id && event.action !== 'create') return;
    switch (event.action) {
      case 'start':
        runtime.container = { id: event.id, running: true, startedAt: new Date().toISOString() };
        break;
      case 'died':
        if (runtime.ownRestart === event.id) {
          // The death of a restart the daemon made itself: not a failure, and the start that
          // follows may already have happened, so leave the state alone.
          runtime.ownRestart = undefined;
          return;
        }
        this.containerDied(runtime, event.id, event.exitCode);
        break;
      case 'remove':
        if (runtime.container?.id === event.id) runtime.container = undefined;
        break;
      default:
        return;
    }
    this.publish(runtime);
  }

  private containerDied(runtime: AppRuntime, containerId: string, exitCode: number | undefined): void {
    runtime.container = {
      id: containerId,
      running: false,
      ...(exitCode !== undefined && Number.isFinite(exitCode) ? { exitCode } : {}),
      ...(runtime.container?.startedAt ? { startedAt: runtime.container.startedAt } : {}),
    };
    this.monitor.unwatch(runtime.record.id);
    this.superviseDeath(runtime);
  }

  /** A death the user did not ask for goes to the supervisor, which restarts or gives up. */
  private superviseDeath(runtime: AppRuntime): void {
    if (runtime.transition || runtime.record.desired !== 'running' || runtime.record.phase !== 'installed')
      return;
    const code = runtime.container?.exitCode;
    this.supervisor.failed(
      runtime.record.id,
      `exited unexpectedly${code !== undefined ? ` with status ${code}` : ''}`,
    );
  }

  shutdown(): void {
    this.monitor.stopAll();
    this.supervisor.stopAll();
  }

  // ---- supervision --------------------------------------------------------------------------

  /**
   * The supervisor's restart, on the app's queue like any other change. By the time it runs the
   * user may have stopped or removed the app, or it may have recovered: check again first.
   */
  private supervisedRestart(id: string): Promise<void> {
    return this.queue.run(id, async () => {
      const runtime = this.runtimes.get(id);
      if (!runtime || runtime.record.desired !== 'running' || runtime.crashLoop || runtime.transition) return;
      await this.refreshContainer(runtime);
      const unhealthy = runtime.health?.status === 'unhealthy';
      if (runtime.container?.running && !unhealthy) return;
      try {
        // Without a user to confirm anything, a restart the guard refuses is not retried.
        await this.guardBitcoinStart(
          runtime,
          `The supervisor did not restart it; once you have decided, start it with 'archy start ${id}' and the confirmation`,
        );
      } catch (error) {
        runtime.message = error instanceof Error ? error.message : String(error);
        this.log.warn({ app: id, err: error }, 'the version guard refused to restart a failed app');
        this.publish(runtime);
        return;
      }
      runtime.restartCount += 1;
      this.log.warn({ app: id, attempt: runtime.restartCount }, 'restarting a failed app');
      try {
        await this.settleFirstStartArgs(id, { healthy: false });
        await this.refreshContainer(runtime);
        if (!runtime.container) {
          await this.recreateContainer(runtime);
        }
        if (runtime.container?.running) {
          runtime.ownRestart = runtime.container.id;
          await this.podman.restartContainer(containerName(id), this.stopTimeoutSeconds(runtime));
        } else {
          await this.assertPortsFree(runtime.manifest, PORT_FREE_GRACE_MS);
          await this.podman.startContainer(containerName(id));
        }
        await this.repairPortForwarding(runtime);
        await this.refreshContainer(runtime);
        this.watchHealth(runtime);
      } catch (error) {
        this.log.warn({ app: id, err: error }, 'the restart failed');
        runtime.message = `restart failed: ${error instanceof Error ? error.message : String(error)}`;
        this.supervisor.failed(id, 'the restart failed');
      }
      this.publish(runtime);
    });
  }

  /**
   * After restarting a crashed app: if its published ports refuse connections, Podman's cleanup
   * of the crash took the new port forwarders down (see port-forwarding.ts); one more restart,
   * now that the cleanup is over, brings them back. Part of the same recovery, not a new failure.
   */
  private async repairPortForwarding(runtime: AppRuntime): Promise<void> {
    const id = runtime.record.id;
    const refused = await unforwardedPorts(runtime.manifest.ports);
    if (refused.length === 0) return;
    // Died again meanwhile: that is the supervisor's to handle (a new failure), not a repair.
    await this.refreshContainer(runtime);
    if (!runtime.container?.running) return;
    this.log.warn(
      { app: id, ports: refused },
      'published ports refuse connections after the restart (Podman cleaned up the crash meanwhile); restarting once more',
    );
    runtime.ownRestart = runtime.container?.id;
    await this.podman.restartContainer(containerName(id), this.stopTimeoutSeconds(runtime));
    const still = await unforwardedPorts(runtime.manifest.ports);
    if (still.length > 0) {
      runtime.message = `host ports ${still.join(', ')} refuse connections after the restart; see 'archy logs ${id}'`;
    }
  }

  private async enterCrashLoop(id: string, failures: number, why: string): Promise<void> {
    const runtime = this.runtimes.get(id);
    if (!runtime) return;
    this.monitor.unwatch(id);
    const lastLogs: string[] = [];
    try {
      for await (const line of this.podman.containerLogs(containerName(id), { follow: false, tail: 10 })) {
        lastLogs.push(line.line);
      }
    } catch {
      // Logs are context for the user; the crash loop stands without them.
    }
    const exitCode = runtime.container?.running ? undefined : runtime.container?.exitCode;
    runtime.crashLoop = {
      since: new Date().toISOString(),
      lastLogs,
      ...(exitCode !== undefined ? { exitCode } : {}),
    };
    runtime.message = `crash loop: ${failures} failures in a few minutes (last: ${why}); the daemon stopped restarting it. See 'archy logs ${id}', then 'archy start ${id}' to try again`;
    this.log.error({ app: id, failures, why }, 'crash loop; no more automatic restarts');
    this.publish(runtime);
  }

  // ---- views for the resolver and the resource manager --------------------------------------

  /** Every app, including installs in flight, with what it claims (the ResourceSource). */
  async resourceApps(): Promise<
    Array<{ id: string; containerId?: string; resources: AppManifest['resources'] }>
  > {
    return [...this.runtimes.values()].map((runtime) => ({
      id: runtime.record.id,
      resources: runtime.manifest.resources,
      ...(runtime.container ? { containerId: runtime.container.id } : {}),
    }));
  }

  private installedApps(): InstalledApp[] {
    return [...this.runtimes.values()].map((runtime) => ({
      id: runtime.record.id,
      version: runtime.record.version,
      manifest: runtime.manifest,
      state: toStatus(runtime).state,
      ...(runtime.record.bindings ? { bindings: runtime.record.bindings } : {}),
    }));
  }

  /** The bundled apps' manifests, for the catalog the UI's marketplace shows. */
  async availableManifests(): Promise<AppManifest[]> {
    return (await this.availableApps()).map((app) => app.manifest);
  }

  /** The bundled apps that can be installed to satisfy a dependency. A broken one is skipped. */
  private async availableApps(): Promise<AvailableApp[]> {
    let ids: string[];
    try {
      ids = await readdir(this.options.appsDir);
    } catch {
      return [];
    }
    const apps: AvailableApp[] = [];
    for (const id of ids.filter(isValidAppId)) {
      try {
        apps.push({
          manifest: parseManifest(await readFile(this.bundledPath(id), 'utf8'), this.bundledPath(id)),
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.log.warn({ app: id, err: error }, 'skipping a bundled manifest that does not parse');
        }
      }
    }
    return apps;
  }

  // ---- steps --------------------------------------------------------------------------------

  /**
   * What every user action starts with: it takes precedence over the supervisor (a pending
   * restart is dropped, a crash loop cleared) and its intent is on disk before anything happens.
   */
  private async beginUserOperation(
    runtime: AppRuntime,
    desired: AppRecord['desired'],
    transition: 'starting' | 'stopping',
  ): Promise<void> {
    this.supervisor.reset(runtime.record.id);
    runtime.crashLoop = undefined;
    runtime.record.desired = desired;
    await this.store.save(runtime.record);
    runtime.transition = transition;
    runtime.message = undefined;
    this.publish(runtime);
  }

  /**
   * Creates the app's container again (its data, network and name are kept) — with the one-time
   * start arguments of a version change only while they are not spent.
   */
  private async recreateContainer(runtime: AppRuntime): Promise<void> {
    await this.ensureNetwork(runtime.record.id, runtime.record.version);
    runtime.record.containerId = await this.createContainer(
      runtime,
      argsForCreate(runtime.record.firstStartArgs),
    );
    await this.store.save(runtime.record);
  }

  /**
   * Drops an app's one-time start arguments (see first-start-args.ts) once they are spent: marks
   * them spent first (so a daemon killed in the middle never starts with them again), then
   * recreates the container without them — same name, data, secrets, ports and network — and
   * starts it again if it was running. Runs on the app's queue.
   */
  private async settleFirstStartArgs(id: string, observed: { healthy: boolean }): Promise<void> {
    const runtime = this.runtimes.get(id);
    const pending = runtime?.record.firstStartArgs;
    if (!runtime || !pending) return;
    const inspect = await this.podman.inspectContainer(containerName(id));
    const ours =
      inspect && inspect.Config?.Labels?.[LABEL.dataDir] === this.layout.root ? inspect : undefined;
    const step = firstStartArgsStep({
      pending,
      healthy: observed.healthy,
      containerCommand: ours ? (ours.Config?.Cmd ?? []) : undefined,
    });
    if (step === 'keep') return;
    const record = runtime.record;
    if (step === 'forget') {
      delete record.firstStartArgs;
      await this.store.save(record);
      return;
    }
    if (!pending.spent) {
      record.firstStartArgs = { ...pending, spent: true };
      await this.store.save(record);
    }
    await this.pause('drop-start-args', id);
    const wasRunning = ours?.State.Running === true;
    const previous = runtime.transition;
    runtime.transition = 'updating';
    this.publish(runtime);
    try {
      this.supervisor.reset(id);
      this.monitor.unwatch(id);
      if (wasRunning) {
        await this.call(`stop '${id}'`, () =>
          this.podman.stopContainer(containerName(id), this.stopTimeoutSeconds(runtime)),
        );
      }
      await this.removeContainerQuietly(id);
      runtime.container = undefined;
      // Cleared before the create: a crash from here on recreates the container without them.
      delete record.firstStartArgs;
      await this.store.save(record);
      await this.recreateContainer(runtime);
      // Only what ran is started again; a stopped one is started by whoever starts it (reconcile, start).
      if (wasRunning) {
        await this.call(`start '${id}'`, () => this.podman.startContainer(containerName(id)));
        runtime.health = undefined;
        await this.refreshContainer(runtime);
        this.watchHealth(runtime);
      }
      this.log.info({ app: id, dropped: pending.args }, 'recreated without the one-time start arguments');
    } finally {
      runtime.transition = previous;
      this.publish(runtime);
    }
  }

  /**
   * Makes the image of the app's record version available (built here, or verified and pulled)
   * and reports progress as `image-progress` events.
   */
  private async provideImage(
    runtime: Pick<AppRuntime, 'record' | 'manifest'>,
    inputs: PendingImage & { catalogDigest?: string },
  ): Promise<{ runImage: string; provenance?: ImageProvenance }> {
    const { record, manifest } = runtime;
    const id = record.id;
    const onProgress = (progress: ProvisionProgress): void => {
      if (progress.phase !== 'download') this.log.debug({ app: id, ...progress }, 'image progress');
      this.events.emit('image-progress', { id, version: record.version, ...progress });
    };
    const digest = inputs.catalogDigest ?? record.catalogDigest;
    const provided = await this.provisioner.provide({
      appId: id,
      title: manifest.name,
      version: record.version,
      image: record.image,
      ...(digest !== undefined && { catalogDigest: digest }),
      ...(inputs.release && { release: inputs.release }),
      ...(inputs.from !== undefined && { from: inputs.from }),
      ...(manifest.build && {
        recipe: { manifestFile: this.recipeManifestFile(record, inputs.manifestDir), spec: manifest.build },
      }),
      onProgress,
    });
    this.rememberBuilt(provided.provenance);
    onProgress({ phase: 'ready', detail: `image ready: ${provided.runImage}` });
    return provided;
  }

  /** The manifest file whose folder holds a recipe's files: absolute, or refused. */
  private recipeManifestFile(record: AppRecord, manifestDir: string | undefined): string {
    if (manifestDir !== undefined) return join(manifestDir, basename(record.manifestFile));
    if (isAbsolute(record.manifestFile)) return record.manifestFile;
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `'${record.id}' builds its image from files beside its manifest, but the daemon was not told where ` +
        `${record.manifestFile} is; install it with the CLI (which sends the folder) or give an absolute path`,
    );
  }

  private async loadManifest(request: InstallRequest): Promise<AppManifest> {
    if (request.source.kind === 'manifest') return parseManifest(request.source.yaml, request.source.file);
    return parseManifest(await this.readBundled(request.source.id), this.bundledPath(request.source.id));
  }

  private bundledPath(id: string): string {
    return join(this.options.appsDir, id, 'manifest.yml');
  }

  private async readBundled(id: string): Promise<string> {
    if (!isValidAppId(id)) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `'${id}' is not a valid app id (lowercase letters, digits, '-')`,
      );
    }
    try {
      return await readFile(this.bundledPath(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ArchyError(
          RpcErrorCode.NotFound,
          `no bundled app named '${id}'; install from a manifest file with 'archy install path/to/manifest.yml'`,
        );
      }
      throw error;
    }
  }

  private async checkPortsAvailable(manifest: AppManifest): Promise<void> {
    for (const [index, port] of (manifest.ports ?? []).entries()) {
      for (const other of this.runtimes.values()) {
        if (other.record.id === manifest.id) continue;
        const clash = (other.manifest.ports ?? []).find(
          (p) => p.host === port.host && p.protocol === port.protocol,
        );
        if (clash) {
          throw new ArchyError(
            RpcErrorCode.Conflict,
            `host port ${port.host}/${port.protocol} (ports[${index}].host) is already used by app '${other.record.id}'; choose another host port in the manifest`,
          );
        }
      }
    }
    await this.assertPortsFree(manifest, 0);
  }

  /** Reserved or taken host ports refused, naming who has them; at install and at every start. */
  private assertPortsFree(manifest: AppManifest, graceMs: number): Promise<void> {
    return assertHostPortsFree(manifest.ports ?? [], {
      reserved: this.options.reservedPorts?.() ?? [],
      graceMs,
      appUsing: (port, protocol) =>
        [...this.runtimes.values()].find(
          (other) =>
            other.record.id !== manifest.id &&
            (other.manifest.ports ?? []).some((p) => p.host === port && p.protocol === protocol),
        )?.record.id,
    });
  }

  private async prepareDataDirs(manifest: AppManifest): Promise<void> {
    // Before mkdir -p, which would follow a symlink planted where a volume dir belongs.
    await assertVolumeDirsSafe(this.layout, manifest);
    await mkdir(this.layout.appDataDir(manifest.id), { recursive: true, mode: 0o700 });
    for (const volume of manifest.volumes ?? []) {
      await mkdir(this.layout.volumeDir(manifest.id, volume.name), { recursive: true, mode: 0o700 });
    }
  }

  private async pullImage(id: string, image: string): Promise<void> {
    if (await this.podman.imageExists(image)) return;
    const tlsVerify = !this.options.insecureRegistries.has(registryHost(image));
    try {
      await this.podman.pullImage(image, {
        tlsVerify,
        onProgress: (progress) => this.events.emit('pull-progress', { id, image, ...progress }),
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

  private async ensureNetwork(id: string, version: string): Promise<void> {
    const name = networkName(id);
    const existing = await this.podman.inspectNetwork(name);
    if (existing) {
      if (existing.labels?.[LABEL.dataDir] === this.layout.root) return;
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `a Podman network named '${name}' exists and is not this daemon's; remove it with 'podman network rm ${name}'`,
      );
    }
    await this.call(`create the network for '${id}'`, () =>
      this.podman.createNetwork({
        name,
        labels: labelsFor(id, version, this.layout.root),
        // Without isolate, rootless bridge networks can reach each other by IP.
        options: { isolate: 'true' },
      }),
    );
  }

  private async createContainer(runtime: AppRuntime, extraArgs: readonly string[] = []): Promise<string> {
    const { manifest, record } = runtime;
    // Every create (install, start after the container was lost, a version change) mounts the
    // data dirs as they are now, which may not be as they were when they were made. Checked
    // before an old container is replaced, so a refusal leaves it as it was.
    await assertVolumeDirsSafe(this.layout, manifest);
    const name = containerName(record.id);
    const existing = await this.podman.inspectContainer(name);
    if (existing) {
      if (existing.Config?.Labels?.[LABEL.dataDir] !== this.layout.root) {
        throw new ArchyError(
          RpcErrorCode.Conflict,
          `a container named '${name}' exists and is not this daemon's; remove it with 'podman rm ${name}'`,
        );
      }
      await this.removeContainerQuietly(record.id);
    }
    // The links come from what is installed now, so a recreated container joins the same networks.
    const installed = dependencyLinks(this.installedApps());
    const image = record.runImage ?? record.image;
    // The image's own user matters only when the manifest names none; resolved and judged then.
    const imageUser =
      manifest.security.user === undefined
        ? await this.call(`resolve the user of the image of '${record.id}'`, () =>
            resolveImageUserOf(this.podman, { appId: record.id, image, dataDir: this.layout.root }),
          )
        : undefined;
    let spec = buildContainerSpec(manifest, {
      layout: this.layout,
      image,
      version: record.version,
      links: installed.links.filter((link) => link.dependent === record.id),
      dependencies: installed.dependencies[record.id] ?? [],
      ...(this.options.confinement && { confinement: this.options.confinement }),
      ...(imageUser !== undefined && { imageUser }),
    });
    if (manifest.bitcoin && this.options.secrets) {
      spec = await withBitcoinRpcSecrets(
        spec,
        manifest,
        {
          podman: this.podman,
          store: this.options.secrets,
          labels: { [LABEL.dataDir]: this.layout.root },
        },
        extraArgs,
      );
    } else if (extraArgs.length > 0) {
      spec.command = [...(manifest.command ?? []), ...extraArgs];
    }
    const { id } = await this.call(`create the container for '${record.id}'`, () =>
      this.podman.createContainer(spec),
    );
    // Checked before anything starts it; a refused container is not left behind.
    try {
      await assertCreatedUser(this.podman, { appId: record.id, expected: spec.user });
    } catch (error) {
      await this.removeContainerQuietly(record.id);
      throw error;
    }
    runtime.container = { id, running: false };
    return id;
  }

  /** Starts the app's container; Podman's refusal becomes a StartFailed that quotes it. */
  private async startContainerOrFail(id: string): Promise<void> {
    const runtime = this.runtimes.get(id);
    // A running container holds its own ports (starting it again is a no-op).
    if (runtime && !runtime.container?.running)
      await this.assertPortsFree(runtime.manifest, PORT_FREE_GRACE_MS);
    try {
      await this.podman.startContainer(containerName(id));
    } catch (error) {
      throw new ArchyError(
        RpcErrorCode.StartFailed,
        `could not start '${id}': ${error instanceof PodmanError ? error.podmanMessage : (error as Error).message}`,
        { cause: error },
      );
    }
  }

  /**
   * Starts the container and waits until it is past the point of exiting at once — and, for an
   * install, until its first healthy probe (bounded), so "installed" means "working".
   */
  private async startAndWait(runtime: AppRuntime, options: { waitForHealthy: boolean }): Promise<void> {
    const id = runtime.record.id;
    await this.startContainerOrFail(id);
    this.watchHealth(runtime);
    if (options.waitForHealthy && runtime.manifest.health) {
      await this.waitHealthy(runtime);
    } else {
      await this.settle(runtime);
    }
  }

  /**
   * Waits out the window in which a broken app exits at once. Probes during it too, so an app
   * that answers quickly is reported healthy when the call returns.
   */
  private async settle(runtime: AppRuntime): Promise<void> {
    const deadline = Date.now() + SETTLE_MS;
    do {
      await this.refreshContainer(runtime);
      if (!runtime.container?.running) throw await this.exitedAtOnce(runtime);
      if (runtime.manifest.health && runtime.health?.status !== 'healthy') {
        await this.monitor.probeNow(runtime.record.id);
      }
      await delay(READY_POLL_MS);
    } while (Date.now() < deadline);
  }

  private async waitHealthy(runtime: AppRuntime): Promise<void> {
    const id = runtime.record.id;
    const health = runtime.manifest.health!;
    const deadline =
      Date.now() + Math.min(READY_WAIT_CAP_MS, health.startPeriod + health.interval * health.retries);
    for (;;) {
      await this.refreshContainer(runtime);
      if (!runtime.container?.running) throw await this.exitedAtOnce(runtime);
      const result = await this.monitor.probeNow(id);
      // A healthy answer means the app works; a later exit is a crash for the supervisor to
      // handle, not an install that failed.
      if (result?.ok) return;
      if (Date.now() > deadline) return; // still starting; the monitor keeps probing
      await delay(READY_POLL_MS);
    }
  }

  private async exitedAtOnce(runtime: AppRuntime): Promise<ArchyError> {
    const id = runtime.record.id;
    // Podman records the exit code a moment after the state flips; ask once more if it's missing.
    const code =
      runtime.container?.exitCode ?? (await this.podman.inspectContainer(containerName(id)))?.State.ExitCode;
    const output = decisiveExitOutput(await this.lastLogLines(id, EXIT_OUTPUT_TAIL), {
      bitcoin: runtime.manifest.bitcoin !== undefined,
      approvedArgs: argsForCreate(runtime.record.firstStartArgs),
    });
    return new ArchyError(
      RpcErrorCode.StartFailed,
      `'${id}' exited${code !== undefined ? ` with status ${code}` : ''} right after starting${describeExitOutput(output)}`,
      { data: { exitCode: code, logs: output.lines } },
    );
  }

  private watchHealth(runtime: AppRuntime): void {
    const check = healthCheckFor(runtime.manifest);
    if (!check) return;
    runtime.health ??= new HealthTracker(check, Date.now());
    this.monitor.watch(runtime.record.id, check, this.probeTarget(runtime), runtime.health);
  }

  private probeTarget(runtime: AppRuntime): ProbeTarget {
    const id = runtime.record.id;
    const secrets = this.options.secrets;
    // No podman exec: each of its sessions keeps a conmon pair alive for five minutes on Podman
    // 4.3. The target enters the container's namespaces itself (health/container-target.ts).
    return containerProbeTarget({
      appId: id,
      inspect: () => this.podman.inspectContainer(containerName(id)),
      hostPortFor: (containerPort) =>
        (runtime.manifest.ports ?? []).find((p) => p.container === containerPort && p.protocol === 'tcp')
          ?.host,
      bitcoinRpcCredentials: () => bitcoinRpcCredentials(secrets, id),
    });
  }

  private async refreshContainer(runtime: AppRuntime): Promise<void> {
    const inspect = await this.podman.inspectContainer(containerName(runtime.record.id));
    if (!inspect || inspect.Config?.Labels?.[LABEL.dataDir] !== this.layout.root) {
      runtime.container = undefined;
      return;
    }
    const observed: ObservedContainer = { id: inspect.Id, running: inspect.State.Running };
    if (!inspect.State.Running) observed.exitCode = inspect.State.ExitCode;
    if (inspect.State.StartedAt && !inspect.State.StartedAt.startsWith('0001')) {
      observed.startedAt = new Date(inspect.State.StartedAt).toISOString();
    }
    runtime.container = observed;
  }

  private async removeContainerQuietly(id: string): Promise<void> {
    try {
      await this.podman.removeContainer(containerName(id), { force: true });
    } catch (error) {
      this.log.warn({ app: id, err: error }, 'could not remove container');
    }
  }

  private async removePodmanSecretsQuietly(id: string): Promise<void> {
    try {
      await removePodmanSecrets(this.podman, id, { [LABEL.dataDir]: this.layout.root });
    } catch (error) {
      this.log.warn({ app: id, err: error }, 'could not remove the Podman secrets');
    }
  }

  /**
   * Waits until a probe passes — or, without a health check, until the container has stayed up
   * past the settle window. Bounded by the health check's own start period and retries.
   */
  private async waitUntilHealthy(runtime: AppRuntime): Promise<{ ok: true } | { ok: false; why: string }> {
    const id = runtime.record.id;
    const health = runtime.manifest.health;
    if (!health) {
      try {
        await this.settle(runtime);
        return { ok: true };
      } catch (error) {
        return { ok: false, why: (error as Error).message };
      }
    }
    const boundMs = Math.min(
      VERSION_HEALTH_WAIT_CAP_MS,
      health.startPeriod + health.interval * health.retries,
    );
    const deadline = Date.now() + boundMs;
    let last = 'no probe answered yet';
    for (;;) {
      await this.refreshContainer(runtime);
      if (!runtime.container?.running) {
        const code = runtime.container?.exitCode;
        return { ok: false, why: `it exited${code !== undefined ? ` with status ${code}` : ''}` };
      }
      const result = await this.monitor.probeNow(id);
      if (result?.ok) return { ok: true };
      if (result) last = result.detail;
      if (Date.now() > deadline)
        return { ok: false, why: `no healthy probe within ${Math.round(boundMs / 1000)} s; last: ${last}` };
      await delay(Math.min(500, health.interval));
    }
  }

  private async lastLogLines(id: string, count: number): Promise<string[]> {
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

  /** The orchestrator's effects, handed to the version switch (which decides nothing about Podman). */
  private appOperations(): AppOperations {
    return {
      find: (id) => this.runtimes.get(id),
      onQueue: (id, task) => this.queue.run(id, task),
      saveRecord: (record) => this.store.save(record),
      deleteRecord: (id) => this.store.delete(id),
      adopt: (runtime) => void this.runtimes.set(runtime.record.id, runtime),
      forget: (id) => {
        this.monitor.unwatch(id);
        this.supervisor.reset(id);
        if (this.runtimes.delete(id)) this.events.emit('app-removed', { id });
      },
      publish: (runtime) => this.publish(runtime),
      stopContainer: async (runtime) => {
        const id = runtime.record.id;
        this.supervisor.reset(id);
        this.monitor.unwatch(id);
        if (await this.podman.inspectContainer(containerName(id))) {
          await this.call(`stop '${id}'`, () =>
            this.podman.stopContainer(containerName(id), this.stopTimeoutSeconds(runtime)),
          );
        }
        await this.refreshContainer(runtime);
      },
      removeContainer: async (id) => {
        if (await this.podman.inspectContainer(containerName(id))) await this.removeContainerQuietly(id);
        const runtime = this.runtimes.get(id);
        if (runtime) runtime.container = undefined;
      },
      removeNetwork: async (id) => {
        if (await this.podman.inspectNetwork(networkName(id))) await this.removeNetworkQuietly(id);
      },
      createContainer: async (runtime, extraArgs) => {
        await this.ensureNetwork(runtime.record.id, runtime.record.version);
        // Remembered on the record, so a recreate before the first healthy start keeps them and one after drops them.
        if (extraArgs.length > 0) runtime.record.firstStartArgs = { args: [...extraArgs], spent: false };
        else delete runtime.record.firstStartArgs;
        runtime.record.containerId = await this.createContainer(runtime, extraArgs);
        await this.store.save(runtime.record);
      },
      dropFirstStartArgs: (runtime) => this.settleFirstStartArgs(runtime.record.id, { healthy: true }),
      startContainer: async (runtime) => {
        await this.startContainerOrFail(runtime.record.id);
        runtime.health = undefined;
        await this.refreshContainer(runtime);
        this.watchHealth(runtime);
      },
      waitUntilHealthy: (runtime) => this.waitUntilHealthy(runtime),
      lastLogs: (id, lines) => this.lastLogLines(id, lines),
      provideImage: async (runtime, target) => {
        const provided = await this.provideImage(
          {
            record: { ...runtime.record, version: target.version, image: target.image },
            manifest: runtime.manifest,
          },
          {
            ...(target.release && { release: target.release }),
            ...(target.digest !== undefined && { catalogDigest: target.digest }),
          },
        );
        return provided.runImage;
      },
      containerVersion: async (id) => {
        const inspect = await this.podman.inspectContainer(containerName(id));
        if (!inspect || inspect.Config?.Labels?.[LABEL.dataDir] !== this.layout.root) return undefined;
        return inspect.Config?.Labels?.[LABEL.version] ?? '';
      },
      bundledManifest: async (id) => {
        const yaml = await this.readBundled(id);
        return { manifest: parseManifest(yaml, this.bundledPath(id)), yaml, file: this.bundledPath(id) };
      },
      appDataDir: (id) => this.layout.appDataDir(id),
      volumeDir: (id, volume) => this.layout.volumeDir(id, volume),
      copySecrets: async (from, to) => {
        const secrets = this.options.secrets;
        if (!secrets) return;
        for (const name of await secrets.list(from)) {
          const value = await secrets.get(from, name);
          if (value !== undefined) await secrets.set(to, name, value);
        }
      },
      removePodmanSecrets: (id) => this.removePodmanSecretsQuietly(id),
      writeDefaultAppConfig: (id) => this.writeDefaultAppConfig(id),
      dependentsOf: (id) =>
        [...this.runtimes.values()]
          .filter(
            (other) => other.record.id !== id && Object.values(other.record.bindings ?? {}).includes(id),
          )
          .map((other) => other.record.id),
    };
  }

  private async removeNetworkQuietly(id: string): Promise<void> {
    try {
      await this.podman.removeNetwork(networkName(id));
    } catch (error) {
      this.log.warn({ app: id, err: error }, 'could not remove network');
    }
  }

  private async writeDefaultAppConfig(id: string): Promise<void> {
    const file = this.layout.appConfigFile(id);
    if (await pathExists(file)) return; // a reinstall keeps the user's choices
    await writeFileAtomic(file, `${JSON.stringify({ autoUpdate: false }, null, 2)}\n`, 0o644);
  }

  private stopTimeoutSeconds(runtime: AppRuntime): number {
    return Math.ceil(runtime.manifest.stopTimeout / 1000);
  }

  private runtime(id: string): AppRuntime {
    const runtime = this.runtimes.get(id);
    if (!runtime) throw notFound(id);
    return runtime;
  }

  private publish(runtime: AppRuntime): void {
    this.events.emit('app-state', this.statusOf(runtime));
  }

  /** Runs a Podman call, turning its failure into an error that says what we were doing. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.podmanFailure(error, what);
    }
  }

  private podmanFailure(error: unknown, what: string): ArchyError {
    if (error instanceof ArchyError) return error;
    const detail = error instanceof PodmanError ? error.podmanMessage : (error as Error).message;
    return new ArchyError(RpcErrorCode.PodmanError, `could not ${what}: ${detail}`, { cause: error });
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The API's view of a provenance record. */
function provenanceReport(provenance: ImageProvenance): NonNullable<AppStatus['provenance']> {
  return {
    builtBy: 'node',
    imageId: provenance.imageId,
    reference: provenance.reference,
    builtAt: provenance.builtAt,
    origin: provenance.origin,
    sbom: { format: provenance.sbom.format, sha256: provenance.sbom.sha256 },
  };
}

/** The manifest an installed app runs: the one it was installed with, with the user's Bitcoin settings. */
export function manifestOfRecord(record: AppRecord): AppManifest {
  const manifest = parseManifest(record.manifestYaml, record.manifestFile);
  return record.bitcoin ? applyBitcoinSettings(manifest, record.bitcoin) : manifest;
}

/** The catalog version an install runs. */
type SelectedVersion = Pick<CatalogVersion, 'version' | 'image' | 'digest' | 'release'>;

/** What making an install's image needs beyond its record. */
interface PendingImage {
  release?: CatalogVersion['release'];
  from?: string;
  manifestDir?: string;
}

/** The confirmations an install request carries for the version guard. */
function confirmationOf(request: InstallRequest): StartConfirmation {
  return {
    ...(request.confirmDowngrade !== undefined && { confirmDowngrade: request.confirmDowngrade }),
    ...(request.confirmResync !== undefined && { confirmResync: request.confirmResync }),
  };
}

/**
 * Records in the order apps start at boot: dependencies first (the resolver's boot order). A
 * record whose manifest no longer parses keeps its place at the end; reconcileApp reports it.
 */
function bootSequence(records: AppRecord[]): AppRecord[] {
  const installed: InstalledApp[] = [];
  for (const record of records) {
    try {
      const manifest = parseManifest(record.manifestYaml, record.manifestFile);
      installed.push({ id: record.id, version: record.version, manifest, state: 'stopped' });
    } catch {
      // ordered last below
    }
  }
  const order = bootOrder(installed).order;
  const rank = (id: string) => {
    const index = order.indexOf(id);
    return index === -1 ? order.length : index;
  };
  return [...records].sort((a, b) => rank(a.id) - rank(b.id));
}
