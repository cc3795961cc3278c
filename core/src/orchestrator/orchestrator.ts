// The orchestrator's front door: it wires the parts below and answers the API. What each part
// does, in the order a request meets them:
//   app-registry     the apps the daemon knows, their queues, what it publishes
//   install-flow     install (plan, reserve, image, container, first health, rollback)
//   app-actions      a user's start, stop, restart, remove
//   reconciler       desired vs observed → the next step (boot, supervisor, resync, user)
//   crash-recovery   Podman's events and health changes → the supervisor's decisions
//   podman-effects   every Podman effect, one ownership check, one error style
//   readiness        event-driven waits (exit at once, first healthy, dependencies)
//   bitcoin-start-guard  the version guard, markers and one-time start arguments
//   versions (../versions)  set-version, update, Core ⇄ Knots, crash recovery of those

import type { Logger } from 'pino';
import {
  RpcErrorCode,
  type AppHealth,
  type AppStatus,
  type BitcoinSettings,
  type DaemonEvents,
  type LogLine,
} from '../kernel/index.js';
import { settingsOfManifest } from '../bitcoin/chain-settings.js';
import type { AppManifest } from '../manifest/index.js';
import type { PodmanClient, PodmanEvent } from '../podman/index.js';
import {
  ImageProvisioner,
  LocalImages,
  NodeImageBuilder,
  ReleaseCache,
  releaseArchOf,
} from '../provisioning/index.js';
import type { AuditRecord } from '../security/audit/index.js';
import type { HostConfinement } from '../security/policy/index.js';
import type { SecretStore } from '../security/secrets/index.js';
import { ArchyError } from '../kernel/index.js';
import type { TypedEventBus } from '../util/event-bus.js';
import { AppActions } from './app-actions.js';
import { AppConfigStore } from './app-config.js';
import { AppRecordStore } from './app-record.js';
import { AppRegistry } from './app-registry.js';
import { toStatus, type AppRuntime } from './app-runtime.js';
import { BitcoinDatadirs, type StartConfirmation } from './bitcoin-datadir.js';
import { BitcoinStartGuard } from './bitcoin-start-guard.js';
import { LocalImagesIndex, provenanceReport } from './built-images.js';
import { BundledApps } from './bundled-apps.js';
import type { CatalogService } from './catalog-service.js';
import { CrashRecovery } from './crash-recovery.js';
import { DataLayout } from '../layout/index.js';
import { UnshareDatadirAccess, type DatadirAccess } from './datadir-access.js';
import { HealthWatch } from './health-watch.js';
import type { ReservedPort } from './host-ports.js';
import type { ImageTrust } from './image-trust.js';
import { InstallFlow } from './install-flow.js';
import { IntentJournal } from '../versions/intent-journal.js';
import type { AppLifecycle, InstallRequest, LogOptions } from './lifecycle.js';
import { PodmanEffects } from './podman-effects.js';
import { ReadinessWaits } from './readiness.js';
import { Reconciler } from './reconciler.js';
import { Supervisor } from './supervisor.js';
import { testPauseHook, type PauseHook } from './test-pause.js';
import { AppVersionControl } from '../versions/version-control.js';
import { VersionSwitch } from '../versions/version-switch.js';

export { manifestOfRecord } from './manifest-of-record.js';

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

/**
 * Installs and supervises apps on rootless Podman. Every change to an app runs on that app's
 * queue; the in-memory runtimes are the daemon's view, kept current by Podman's events, and
 * the records on disk are what survives a restart.
 */
export class Orchestrator implements AppLifecycle {
  readonly events: TypedEventBus<DaemonEvents>;
  /** The images this node built itself: provenance and SBOM per app version. */
  readonly localImages: LocalImages;
  /** Versions, catalog and updates; present when the daemon has a catalog. */
  readonly versions: AppVersionControl | undefined;
  private readonly layout: DataLayout;
  private readonly registry: AppRegistry;
  private readonly builtImages: LocalImagesIndex;
  private readonly healthWatch: HealthWatch;
  private readonly effects: PodmanEffects;
  private readonly supervisor: Supervisor;
  private readonly guard: BitcoinStartGuard;
  private readonly crashes: CrashRecovery;
  private readonly reconciler: Reconciler;
  private readonly installs: InstallFlow;
  private readonly actions: AppActions;
  private readonly bundled: BundledApps;

  constructor(options: OrchestratorOptions) {
    const log = options.logger;
    const podman = options.podman;
    const layout = new DataLayout(options.dataDir);
    this.layout = layout;
    this.localImages = new LocalImages(layout.imagesDir);
    const builtImages = new LocalImagesIndex(this.localImages);
    this.builtImages = builtImages;
    this.bundled = new BundledApps(options.appsDir, log);
    const configs = new AppConfigStore(layout);
    const registry = new AppRegistry(new AppRecordStore(layout), configs, this.bundled, (runtime) =>
      this.describe(runtime),
    );
    this.registry = registry;
    this.events = registry.events;
    const journal = new IntentJournal(layout.intentsDir);
    const pause = options.pause ?? testPauseHook(log);
    const datadirs = new BitcoinDatadirs({
      access: options.datadirs ?? new UnshareDatadirAccess({ scratchDir: layout.scratchDir }),
      volumeDir: (owner, volume) => layout.volumeDir(owner, volume),
    });
    this.healthWatch = new HealthWatch(podman, options.secrets, (id, tracker, result) =>
      this.crashes.healthChanged(id, tracker, result),
    );
    this.effects = new PodmanEffects({
      podman,
      layout,
      registry,
      health: this.healthWatch,
      log,
      events: registry.events,
      insecureRegistries: options.insecureRegistries,
      ...(options.secrets && { secrets: options.secrets }),
      ...(options.confinement && { confinement: options.confinement }),
      ...(options.reservedPorts && { reservedPorts: options.reservedPorts }),
      versionChangeNeeds: () => ({
        waitUntilHealthy: (runtime) => readiness.healthy(runtime),
        dropFirstStartArgs: (runtime) =>
          this.guard.settleFirstStartArgs(runtime.record.id, { healthy: true }),
        provideImage: async (runtime, target) =>
          (
            await this.installs.provideImage(
              {
                record: { ...runtime.record, version: target.version, image: target.image },
                manifest: runtime.manifest,
              },
              {
                ...(target.release && { release: target.release }),
                ...(target.digest !== undefined && { catalogDigest: target.digest }),
              },
            )
          ).runImage,
      }),
    });
    const readiness = new ReadinessWaits(registry, this.effects, this.healthWatch);
    this.supervisor = new Supervisor({
      restart: (id) => this.reconciler.reconcile(id, 'supervisor'),
      giveUp: (id, failures, why) => void this.crashes.enterCrashLoop(id, failures, why),
      note: (id, message) => {
        const runtime = registry.get(id);
        if (!runtime) return;
        runtime.message = message;
        registry.publish(runtime);
      },
    });
    // Whatever forgets an app (a remove, a rolled-back install, a switch) stops probing and supervising it.
    registry.onForget((id) => {
      this.healthWatch.unwatch(id);
      this.supervisor.reset(id);
    });
    this.guard = new BitcoinStartGuard({
      registry,
      effects: this.effects,
      health: this.healthWatch,
      supervisor: this.supervisor,
      datadirs,
      pause,
      log,
    });
    this.crashes = new CrashRecovery({
      registry,
      effects: this.effects,
      health: this.healthWatch,
      supervisor: () => this.supervisor,
      guard: () => this.guard,
      log,
    });
    const provisioner = new ImageProvisioner({
      trust: options.imageTrust,
      images: this.localImages,
      cache: new ReleaseCache(layout.releasesDir),
      builder: new NodeImageBuilder({
        images: this.localImages,
        // Inside the data dir: the same disk as the result, and removed after every build.
        workRoot: layout.buildWorkDir,
        podmanUrl: `unix://${podman.socketPath}`,
      }),
      arch: options.releaseArch ?? releaseArchOf(),
      imageExists: (reference) => podman.imageExists(reference),
      pull: (appId, reference) => this.effects.pullImage(appId, reference),
      logger: log,
    });
    this.installs = new InstallFlow({
      registry,
      effects: this.effects,
      health: this.healthWatch,
      readiness,
      guard: this.guard,
      bundled: this.bundled,
      provisioner,
      builtImages,
      journal,
      configs,
      layout,
      pause,
      ...(options.catalog && { catalog: options.catalog }),
      ...(options.admission && { admission: options.admission }),
      startInstalled: (id) => this.actions.startOne(id),
      log,
    });
    let versionSwitch: VersionSwitch | undefined;
    if (options.catalog) {
      const logAt = (level: 'info' | 'warn' | 'error', details: object, message: string) =>
        log[level](details, message);
      versionSwitch = new VersionSwitch({
        registry,
        effects: this.effects,
        catalog: options.catalog,
        configs,
        journal,
        bitcoinDatadirs: datadirs,
        pause,
        log: logAt,
      });
      this.versions = new AppVersionControl({
        catalog: options.catalog,
        configs,
        switcher: versionSwitch,
        appInfo: async (id) => {
          const runtime = registry.get(id);
          if (runtime) return { installedVersion: runtime.record.version, manifest: runtime.manifest };
          return { manifest: (await this.bundled.manifest(id)).manifest };
        },
        installedIds: () => registry.all().map((runtime) => runtime.record.id),
        changeBitcoinPrune: (id, prune, confirmResync) => this.changeBitcoinPrune(id, prune, confirmResync),
        ...(options.audit && { audit: options.audit }),
        log: logAt,
      });
    } else {
      this.versions = undefined;
    }
    this.reconciler = new Reconciler({
      registry,
      effects: this.effects,
      health: this.healthWatch,
      readiness,
      supervisor: this.supervisor,
      guard: this.guard,
      layout,
      builtImages,
      versionSwitch,
      rollBackInstall: (record) => this.installs.rollBack(record),
      log,
    });
    this.actions = new AppActions({
      registry,
      effects: this.effects,
      health: this.healthWatch,
      readiness,
      supervisor: this.supervisor,
      guard: this.guard,
      reconciler: this.reconciler,
      bundled: this.bundled,
      installs: () => this.installs,
      layout,
      ...(options.secrets && { secrets: options.secrets }),
      log,
    });
  }

  get dataLayout(): DataLayout {
    return this.layout;
  }

  // ---- queries ------------------------------------------------------------------------------

  async list(): Promise<AppStatus[]> {
    return this.registry.all().map((runtime) => this.describe(runtime));
  }

  async status(id: string): Promise<AppStatus> {
    return this.describe(this.registry.require(id));
  }

  /** The SBOM of the image an app runs, when this node built it. */
  async sbom(
    id: string,
  ): Promise<{ id: string; version: string; format: string; sha256: string; sbom: string }> {
    const runtime = this.registry.require(id);
    const provenance = this.builtImages.of(runtime);
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

  async health(id: string): Promise<AppHealth> {
    const runtime = this.registry.require(id);
    return {
      id,
      status: toStatus(runtime).health,
      probes: runtime.health?.probes ?? [],
      restartCount: runtime.restartCount,
      since: runtime.health?.since ?? runtime.record.installedAt,
      ...(runtime.health?.lastSync && { sync: runtime.health.lastSync }),
    };
  }

  async *logs(id: string, options: LogOptions): AsyncIterable<LogLine> {
    const runtime = this.registry.require(id);
    if (!runtime.container) return;
    yield* this.effects.logs(id, {
      follow: options.follow ?? false,
      ...(options.tail !== undefined && { tail: options.tail }),
      ...(options.signal && { signal: options.signal }),
    });
  }

  /** Every app, including installs in flight, with what it claims (the ResourceSource). */
  async resourceApps(): Promise<
    Array<{ id: string; containerId?: string; resources: AppManifest['resources'] }>
  > {
    return this.registry.all().map((runtime) => ({
      id: runtime.record.id,
      resources: runtime.manifest.resources,
      ...(runtime.container ? { containerId: runtime.container.id } : {}),
    }));
  }

  /** The bundled apps' manifests, for the catalog the UI's marketplace shows. */
  async availableManifests(): Promise<AppManifest[]> {
    return (await this.bundled.available()).map((app) => app.manifest);
  }

  // ---- changes ------------------------------------------------------------------------------

  install(request: InstallRequest): Promise<AppStatus> {
    return this.installs.install(request);
  }

  start(id: string, confirm?: StartConfirmation): Promise<AppStatus> {
    return this.actions.start(id, confirm);
  }

  stop(id: string, options: { cascade?: boolean } = {}): Promise<AppStatus> {
    return this.actions.stop(id, options);
  }

  restart(id: string, confirm?: StartConfirmation): Promise<AppStatus> {
    return this.actions.restart(id, confirm);
  }

  remove(
    id: string,
    options: { purge: boolean; cascade?: boolean },
  ): Promise<{ id: string; purged: boolean }> {
    return this.actions.remove(id, options);
  }

  /** Turns a Bitcoin node's pruning on, resizes it, or (confirmed) off. */
  changeBitcoinPrune(
    id: string,
    prune: number,
    confirmResync?: string,
  ): Promise<{ settings: BitcoinSettings; message: string }> {
    return this.guard.changePrune(id, prune, confirmResync);
  }

  // ---- the daemon's side --------------------------------------------------------------------

  /** Brings everything in line with Podman after a (re)start; then a periodic resync runs. */
  reconcile(): Promise<void> {
    return this.reconciler.boot();
  }

  /** Every app compared with Podman again (after the event stream reconnected: events may be lost). */
  resync(): Promise<void> {
    return this.reconciler.resyncAll();
  }

  applyContainerEvent(event: Pick<PodmanEvent, 'action' | 'id' | 'attributes' | 'exitCode'>): void {
    this.crashes.applyContainerEvent(event);
  }

  shutdown(): void {
    this.reconciler.stopResync();
    this.healthWatch.stopAll();
    this.supervisor.stopAll();
  }

  /** What the API shows for an app: its state, plus the provenance of an image this node built. */
  private describe(runtime: AppRuntime): AppStatus {
    const provenance = this.builtImages.of(runtime);
    const bitcoin = runtime.record.bitcoin ?? settingsOfManifest(runtime.manifest);
    return {
      ...toStatus(runtime),
      ...(provenance && { provenance: provenanceReport(provenance) }),
      ...(bitcoin && { bitcoin }),
    };
  }
}
