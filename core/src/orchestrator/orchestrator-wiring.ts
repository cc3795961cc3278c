// How the orchestrator's parts are made and joined (see orchestrator.ts for what each does).
// Parts that call each other both ways (a health change goes to crash recovery, which restarts
// through the reconciler, which probes through the health watch) reach each other through
// `parts`, filled in below, and are only called once it is complete.

import {
  ImageProvisioner,
  LocalImages,
  NodeImageBuilder,
  ReleaseCache,
  releaseArchOf,
} from '../provisioning/index.js';
import type { Logger } from 'pino';
import type { AppStatus } from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { PodmanClient } from '../podman/index.js';
import type { AuditRecord } from '../security/audit/index.js';
import type { HostConfinement } from '../security/policy/index.js';
import type { SecretStore } from '../security/secrets/index.js';
import { DataLayout } from '../layout/index.js';
import type { KeptLogs } from '../logs/index.js';
import { IntentJournal } from '../versions/intent-journal.js';
import { AppVersionControl } from '../versions/version-control.js';
import { VersionSwitch } from '../versions/version-switch.js';
import { AppActions } from './app-actions.js';
import { Adoption } from './adoption.js';
import { BackupHold } from './backup-hold.js';
import { AppConfigStore } from './app-config.js';
import { TorSidecars } from './tor-sidecar.js';
import { AppRecordStore } from './app-record.js';
import { AppRegistry } from './app-registry.js';
import type { AppRuntime } from './app-runtime.js';
import { BitcoinDatadirs } from './bitcoin-datadir.js';
import { BitcoinStartGuard } from './bitcoin-start-guard.js';
import { LocalImagesIndex } from './built-images.js';
import { BundledApps } from './bundled-apps.js';
import type { CatalogService } from './catalog-service.js';
import { CrashRecovery } from './crash-recovery.js';
import { CredentialActions } from './credential-actions.js';
import { UnshareDatadirAccess, type DatadirAccess } from './datadir-access.js';
import { HealthWatch } from './health-watch.js';
import type { ReservedPort } from './host-ports.js';
import type { ImageTrust } from './image-trust.js';
import { InstallFlow } from './install-flow.js';
import { PodmanEffects } from './podman-effects.js';
import { ReadinessWaits } from './readiness.js';
import { Reconciler } from './reconciler.js';
import { Supervisor } from './supervisor.js';
import { testPauseHook, type PauseHook } from './test-pause.js';
import { TorActions } from './tor-actions.js';
import { appTorMode } from './tor-mode.js';

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
  /** `DisableNetwork 1` in the apps' torrc (ARCHY_TOR_DISABLE_NETWORK=1; README "Tor"). */
  torDisableNetwork?: boolean;
  /** The apps' kept output (logs/<id>/): every container's output is captured into it. Absent: none kept. */
  keptLogs?: KeptLogs;
}

/** The orchestrator's parts, made and joined once per daemon. */
export interface OrchestratorParts {
  layout: DataLayout;
  localImages: LocalImages;
  builtImages: LocalImagesIndex;
  bundled: BundledApps;
  registry: AppRegistry;
  health: HealthWatch;
  effects: PodmanEffects;
  tor: TorSidecars;
  supervisor: Supervisor;
  guard: BitcoinStartGuard;
  crashes: CrashRecovery;
  installs: InstallFlow;
  reconciler: Reconciler;
  actions: AppActions;
  credentials: CredentialActions;
  /** Present when the daemon has a catalog. */
  versions?: AppVersionControl;
  adoption: Adoption;
  /** The user's Tor choices: mode and onions. */
  torActions: TorActions;
  /** Apps stopped for a backup and started again, desired state untouched. */
  backupHold: BackupHold;
}

/** `describe`: what the API shows for an app (the facade adds what only it knows). */
export function wireOrchestrator(
  options: OrchestratorOptions,
  describe: (runtime: AppRuntime) => AppStatus,
): OrchestratorParts {
  const parts = {} as OrchestratorParts;
  const log = options.logger;
  const podman = options.podman;
  const layout = new DataLayout(options.dataDir);
  parts.layout = layout;
  parts.localImages = new LocalImages(layout.imagesDir);
  const builtImages = new LocalImagesIndex(parts.localImages);
  parts.builtImages = builtImages;
  parts.bundled = new BundledApps(options.appsDir, log);
  const configs = new AppConfigStore(layout);
  const registry = new AppRegistry(new AppRecordStore(layout), configs, parts.bundled, (runtime) =>
    describe(runtime),
  );
  parts.registry = registry;
  const journal = new IntentJournal(layout.intentsDir);
  const pause = options.pause ?? testPauseHook(log);
  const datadirs = new BitcoinDatadirs({
    access: options.datadirs ?? new UnshareDatadirAccess({ scratchDir: layout.scratchDir }),
    volumeDir: (owner, volume) => layout.volumeDir(owner, volume),
  });
  parts.health = new HealthWatch(podman, options.secrets, (id, tracker, result, service) =>
    parts.crashes.healthChanged(id, tracker, result, service),
  );
  parts.tor = new TorSidecars({
    podman,
    layout,
    configs,
    ...(options.secrets && { secrets: options.secrets }),
    log,
    disableNetwork: options.torDisableNetwork ?? false,
  });
  parts.effects = new PodmanEffects({
    tor: parts.tor,
    podman,
    layout,
    registry,
    health: parts.health,
    log,
    events: registry.events,
    insecureRegistries: options.insecureRegistries,
    pause,
    imageTrust: options.imageTrust,
    ...(options.secrets && { secrets: options.secrets }),
    ...(options.confinement && { confinement: options.confinement }),
    ...(options.reservedPorts && { reservedPorts: options.reservedPorts }),
    torModeOf: async (manifest) => appTorMode(manifest, await configs.get(manifest.id)),
    ...(options.keptLogs && { keptLogs: options.keptLogs }),
    versionChangeNeeds: () => ({
      waitUntilHealthy: (runtime) => readiness.healthy(runtime),
      dropFirstStartArgs: (runtime) => parts.guard.settleFirstStartArgs(runtime.record.id, { healthy: true }),
      provideImage: async (runtime, target) =>
        (
          await parts.installs.provideImage(
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
  const readiness = new ReadinessWaits(registry, parts.effects, parts.health);
  parts.supervisor = new Supervisor({
    restart: (id) => parts.reconciler.reconcile(id, 'supervisor'),
    giveUp: (id, failures, why) => void parts.crashes.enterCrashLoop(id, failures, why),
    note: (id, message) => {
      const runtime = registry.get(id);
      if (!runtime) return;
      runtime.message = message;
      registry.publish(runtime);
    },
  });
  // Whatever forgets an app (a remove, a rolled-back install, a switch) stops probing and supervising it.
  registry.onForget((id) => {
    parts.tor.forget(id);
    parts.health.unwatch(id);
    parts.supervisor.reset(id);
  });
  parts.guard = new BitcoinStartGuard({
    registry,
    effects: parts.effects,
    health: parts.health,
    supervisor: parts.supervisor,
    datadirs,
    pause,
    log,
  });
  parts.crashes = new CrashRecovery({
    registry,
    effects: parts.effects,
    health: parts.health,
    supervisor: parts.supervisor,
    guard: parts.guard,
    log,
  });
  const provisioner = new ImageProvisioner({
    trust: options.imageTrust,
    images: parts.localImages,
    cache: new ReleaseCache(layout.releasesDir),
    builder: new NodeImageBuilder({
      images: parts.localImages,
      // Inside the data dir: the same disk as the result, and removed after every build.
      workRoot: layout.buildWorkDir,
      podmanUrl: `unix://${podman.socketPath}`,
    }),
    arch: options.releaseArch ?? releaseArchOf(),
    imageExists: (reference) => podman.imageExists(reference),
    pull: (appId, reference) => parts.effects.pullImage(appId, reference),
    logger: log,
  });
  parts.credentials = new CredentialActions({
    registry,
    effects: parts.effects,
    readiness,
    supervisor: parts.supervisor,
    layout,
    podman,
    ...(options.secrets && { secrets: options.secrets }),
    log,
  });
  parts.installs = new InstallFlow({
    registry,
    effects: parts.effects,
    health: parts.health,
    readiness,
    guard: parts.guard,
    bundled: parts.bundled,
    provisioner,
    builtImages,
    journal,
    configs,
    layout,
    pause,
    ...(options.catalog && { catalog: options.catalog }),
    ...(options.admission && { admission: options.admission }),
    startInstalled: (id) => parts.actions.startOne(id),
    credentials: parts.credentials,
    log,
  });
  parts.torActions = new TorActions({
    registry,
    effects: parts.effects,
    supervisor: parts.supervisor,
    configs,
    layout,
    sidecars: parts.tor,
    log,
  });
  let versionSwitch: VersionSwitch | undefined;
  if (options.catalog) {
    const logAt = (level: 'info' | 'warn' | 'error', details: object, message: string) =>
      log[level](details, message);
    versionSwitch = new VersionSwitch({
      registry,
      effects: parts.effects,
      catalog: options.catalog,
      configs,
      journal,
      bitcoinDatadirs: datadirs,
      pause,
      log: logAt,
      dependents: parts.credentials,
    });
    parts.versions = new AppVersionControl({
      catalog: options.catalog,
      configs,
      switcher: versionSwitch,
      appInfo: async (id) => {
        const runtime = registry.get(id);
        if (runtime) return { installedVersion: runtime.record.version, manifest: runtime.manifest };
        return { manifest: (await parts.bundled.manifest(id)).manifest };
      },
      installedIds: () => registry.all().map((runtime) => runtime.record.id),
      changeBitcoinPrune: (id, prune, confirmResync) => parts.guard.changePrune(id, prune, confirmResync),
      changeTorMode: (id, mode) => parts.torActions.setMode(id, mode),
      ...(options.audit && { audit: options.audit }),
      log: logAt,
    });
  }
  parts.reconciler = new Reconciler({
    registry,
    effects: parts.effects,
    health: parts.health,
    readiness,
    supervisor: parts.supervisor,
    guard: parts.guard,
    crashes: parts.crashes,
    layout,
    builtImages,
    versionSwitch,
    rollBackInstall: (record) => parts.installs.rollBack(record),
    log,
  });
  parts.actions = new AppActions({
    registry,
    effects: parts.effects,
    health: parts.health,
    readiness,
    supervisor: parts.supervisor,
    guard: parts.guard,
    reconciler: parts.reconciler,
    bundled: parts.bundled,
    installs: parts.installs,
    layout,
    ...(options.secrets && { secrets: options.secrets }),
    credentials: parts.credentials,
    ...(options.keptLogs && { keptLogs: options.keptLogs }),
    pause,
    log,
  });
  parts.adoption = new Adoption({
    registry,
    bundled: parts.bundled,
    datadirs,
    installs: parts.installs,
    actions: parts.actions,
    layout,
    ...(options.catalog && { catalog: options.catalog }),
    log,
  });
  parts.backupHold = new BackupHold({
    registry,
    effects: parts.effects,
    readiness,
    supervisor: parts.supervisor,
    bundled: parts.bundled,
    log,
  });
  return parts;
}
