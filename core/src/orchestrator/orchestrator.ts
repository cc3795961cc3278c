// The orchestrator's front door: it answers the API from the parts below. What each part
// does, in the order a request meets them:
//   orchestrator-wiring  how the parts below are made and joined
//   app-registry     the apps the daemon knows, their queues, what it publishes
//   install-flow     install (plan, reserve, image, container, first health, rollback)
//   app-actions      a user's start, stop, restart, remove
//   reconciler       desired vs observed → the next step (boot, supervisor, resync, user)
//   crash-recovery   Podman's events and health changes → the supervisor's decisions
//   podman-effects   every Podman effect, one ownership check, one error style
//   readiness        event-driven waits (exit at once, first healthy, dependencies)
//   bitcoin-start-guard  the version guard, markers and one-time start arguments
//   versions (../versions)  set-version, update, Core ⇄ Knots, crash recovery of those

import {
  ArchyError,
  RpcErrorCode,
  type AppGrants,
  type AppHealth,
  type AppStatus,
  type BitcoinSettings,
  type DaemonEvents,
  type InstallPlanRequest,
  type InstallPlanView,
  type LogLine,
} from '../kernel/index.js';
import { settingsOfManifest } from '../bitcoin/chain-settings.js';
import type { DataLayout } from '../layout/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { PodmanEvent } from '../podman/index.js';
import { appGrants } from '../resolver/index.js';
import type { LocalImages } from '../provisioning/index.js';
import type { TypedEventBus } from '../util/event-bus.js';
import type { AppVersionControl } from '../versions/version-control.js';
import type { AppActions } from './app-actions.js';
import type { AppRegistry } from './app-registry.js';
import { toStatus, type AppRuntime } from './app-runtime.js';
import type { StartConfirmation } from './bitcoin-datadir.js';
import type { BitcoinStartGuard } from './bitcoin-start-guard.js';
import { provenanceReport, type LocalImagesIndex } from './built-images.js';
import type { TorSidecars } from './tor-sidecar.js';
import type { BundledApps } from './bundled-apps.js';
import type { CrashRecovery } from './crash-recovery.js';
import type { CredentialActions } from './credential-actions.js';
import type { Adoption } from './adoption.js';
import type { BackupHold } from './backup-hold.js';
import type { HealthWatch } from './health-watch.js';
import type { InstallFlow } from './install-flow.js';
import type { AppLifecycle, InstallRequest, LogOptions } from './lifecycle.js';
import { wireOrchestrator, type OrchestratorOptions } from './orchestrator-wiring.js';
import type { PodmanEffects } from './podman-effects.js';
import { readKeptLogs } from './kept-log-reading.js';
import type { KeptLogs } from '../logs/index.js';
import type { Reconciler } from './reconciler.js';
import type { Supervisor } from './supervisor.js';
import type { TorActions } from './tor-actions.js';

export type { OrchestratorOptions } from './orchestrator-wiring.js';

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
  /** Interface credentials: rotation and connection details. */
  readonly credentials: CredentialActions;
  /** Data adopted in place: `package.adopt`, `package.release`. */
  readonly adoption: Adoption;
  /** The apps' Tor: the user's onions, `tor.status` (the mode goes through versions' setConfig). */
  readonly tor: TorActions;
  /** Apps stopped for a backup and started again (backup/backup-service.ts). */
  readonly backupHold: BackupHold;
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
  private readonly sidecars: TorSidecars;
  private readonly keptLogs: KeptLogs | undefined;

  constructor(options: OrchestratorOptions) {
    this.keptLogs = options.keptLogs;
    const parts = wireOrchestrator(options, (runtime) => this.describe(runtime));
    this.layout = parts.layout;
    this.localImages = parts.localImages;
    this.builtImages = parts.builtImages;
    this.bundled = parts.bundled;
    this.registry = parts.registry;
    this.events = parts.registry.events;
    this.healthWatch = parts.health;
    this.effects = parts.effects;
    this.supervisor = parts.supervisor;
    this.guard = parts.guard;
    this.crashes = parts.crashes;
    this.installs = parts.installs;
    this.reconciler = parts.reconciler;
    this.actions = parts.actions;
    this.versions = parts.versions;
    this.credentials = parts.credentials;
    this.adoption = parts.adoption;
    this.tor = parts.torActions;
    this.sidecars = parts.tor;
    this.backupHold = parts.backupHold;
  }

  get dataLayout(): DataLayout {
    return this.layout;
  }

  // ---- queries ------------------------------------------------------------------------------

  async list(): Promise<AppStatus[]> {
    const runtimes = this.registry.all();
    // The onion addresses as Tor wrote them (it may have since the last start).
    for (const runtime of runtimes) await this.sidecars.refresh(runtime);
    return runtimes.map((runtime) => this.describe(runtime));
  }

  async status(id: string): Promise<AppStatus> {
    const runtime = this.registry.require(id);
    await this.sidecars.refresh(runtime);
    return this.describe(runtime);
  }

  /**
   * Makes the app's Tor sidecar again from its current config (an onion added or removed), on
   * the app's queue, without touching its own containers; returns the new status.
   */
  async recreateTorSidecar(id: string): Promise<AppStatus> {
    return this.registry.onQueue(id, async () => {
      const runtime = this.registry.require(id);
      await this.sidecars.recreate(runtime);
      this.registry.publish(runtime);
      return this.describe(runtime);
    });
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
    if (options.since !== undefined || options.until !== undefined) {
      yield* readKeptLogs(
        this.keptLogs,
        { id, manifest: this.registry.get(id)?.manifest, layout: this.layout },
        options,
      );
      return;
    }
    const runtime = this.registry.require(id);
    if (!runtime.container && !Object.values(runtime.services ?? {}).some(Boolean)) return;
    yield* this.effects.logs(id, {
      follow: options.follow ?? false,
      ...(options.service !== undefined && { service: options.service }),
      ...(options.tail !== undefined && { tail: options.tail }),
      ...(options.signal && { signal: options.signal }),
    });
  }

  /** Every app, including installs in flight, with what it claims (the ResourceSource). */
  async resourceApps(): Promise<
    Array<{ id: string; containerId?: string; containerIds?: string[]; resources: AppManifest['resources'] }>
  > {
    return this.registry.all().map((runtime) => {
      const others = Object.values(runtime.services ?? {}).flatMap((service) =>
        service ? [service.id] : [],
      );
      return {
        id: runtime.record.id,
        resources: runtime.manifest.resources,
        ...(runtime.container ? { containerId: runtime.container.id } : {}),
        ...(runtime.container && others.length > 0 && { containerIds: [runtime.container.id, ...others] }),
      };
    });
  }

  /** The bundled apps' manifests, for the catalog the UI's marketplace shows. */
  async availableManifests(): Promise<AppManifest[]> {
    return (await this.bundled.available()).map((app) => app.manifest);
  }

  // ---- changes ------------------------------------------------------------------------------

  /** The digest-pinned images the user confirmed for an imported app (its record's); none for others. */
  importedImages(id: string): readonly string[] {
    return this.registry.get(id)?.record.imported?.images ?? [];
  }

  install(request: InstallRequest): Promise<AppStatus> {
    return this.installs.install(request);
  }

  planInstall(request: InstallPlanRequest): Promise<InstallPlanView> {
    return this.installs.plan(request);
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
    const tor = this.sidecars.statusOf(runtime);
    return {
      ...toStatus(runtime),
      ...(tor && { tor }),
      ...(provenance && { provenance: provenanceReport(provenance) }),
      ...(bitcoin && { bitcoin }),
      ...(runtime.manifest.origin && { grants: this.grantsOf(runtime) }),
      ...(runtime.record.adopted && { adopted: runtime.record.adopted }),
    };
  }

  /** What an imported app was granted, with the providers its record bound. */
  private grantsOf(runtime: AppRuntime): AppGrants {
    const bindings = Object.entries(runtime.record.bindings ?? {});
    return appGrants({
      manifest: runtime.manifest,
      dependencies: bindings.map(([requested, appId]) => ({ requested, appId })),
      manifestOf: (id) => this.registry.get(id)?.manifest,
      bundled: false,
    });
  }
}
