import type {
  AdoptedData,
  AdoptRequest,
  AdoptResult,
  ReleaseResult,
  GuardConfirmation,
  AppConfigReport,
  InstallPlanRequest,
  InstallPlanView,
  AppHealth,
  AppStatus,
  AppVersionsReport,
  BitcoinNetwork,
  CatalogStatusReport,
  DaemonEvents,
  LogLine,
  VersionChangeResult,
  SetVersionRequest,
  SwitchImplementationRequest,
  AppConfigChange,
  SbomReport,
  VersionChangePlanParams,
  VersionChangePlanReport,
  ConnectionInfo,
  ConnectionInfoRequest,
  RotateCredentialsResult,
  OnionAddRequest,
  OnionChangeResult,
  TorStatusReport,
} from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { TypedEventBus } from '../util/event-bus.js';

/** Where an install's manifest comes from. */
export type InstallSource =
  | { kind: 'bundled'; id: string }
  /** `dir`: the manifest's folder, absolute (a `build:` recipe copies files from it). */
  | { kind: 'manifest'; yaml: string; file: string; dir?: string };

export interface InstallRequest {
  source: InstallSource;
  version?: string;
  /** Interface → the app the user wants to provide it, e.g. `{ 'bitcoin-node': 'bitcoin-knots' }`. */
  choices?: Record<string, string>;
  /** An official release the user brought (tarball or its folder, absolute), used instead of downloading. */
  from?: string;
  /** A Bitcoin node's chain; the manifest's (mainnet) when absent. */
  network?: BitcoinNetwork;
  /** A Bitcoin node's prune target in GB; 0 keeps every block. */
  prune?: number;
  /** Kept Bitcoin data a newer (or an unknown) version wrote: the user accepts starting this version on it. */
  confirmDowngrade?: boolean;
  /** The app id, typed to accept that such a start re-downloads the whole chain (a pruned node). */
  confirmResync?: string;
  /** An imported app (manifest `origin:`): the user saw what it gets and accepts its unsigned, digest-pinned images. */
  confirmImported?: boolean;
  /** Data adopted in place (Adoption, adoption.ts): its volumes are bound to these host folders. */
  adopt?: AdoptedData;
}

/** What a user gives the version guard to start a Bitcoin node on data a newer version wrote. */
export type StartConfirmation = GuardConfirmation;

export interface LogOptions {
  tail?: number;
  /** One service of a multi-service app; absent: every service's lines, merged. */
  service?: string;
  follow?: boolean;
  signal?: AbortSignal;
  /**
   * ISO times, both included: read the app's kept lines (logs/<id>/) across its containers, each
   * with its time and container, instead of the current container's from Podman.
   */
  since?: string;
  until?: string;
}

/**
 * What the API and CLI need from the orchestrator. Every method that changes an app runs on
 * that app's queue, so operations on one app never interleave. Failures throw ArchyError.
 */
export interface AppLifecycle {
  readonly events: TypedEventBus<DaemonEvents>;
  install(request: InstallRequest): Promise<AppStatus>;
  /**
   * What installing a bundled app would do, decided as `install` decides it; changes nothing
   * (`package.plan-install`). Absent on a lifecycle that cannot plan (test stand-ins).
   */
  planInstall?(request: InstallPlanRequest): Promise<InstallPlanView>;
  /** `confirm`: for a Bitcoin node the version guard stopped (see bitcoin-datadir.ts). */
  start(id: string, confirm?: StartConfirmation): Promise<AppStatus>;
  /** Refuses while running apps depend on it, unless `cascade` (which stops them first). */
  stop(id: string, options?: { cascade?: boolean }): Promise<AppStatus>;
  restart(id: string, confirm?: StartConfirmation): Promise<AppStatus>;
  remove(
    id: string,
    options: { purge: boolean; cascade?: boolean },
  ): Promise<{ id: string; purged: boolean }>;
  status(id: string): Promise<AppStatus>;
  list(): Promise<AppStatus[]>;
  logs(id: string, options: LogOptions): AsyncIterable<LogLine>;
  health(id: string): Promise<AppHealth>;
  /** The SBOM of the image an app runs, when this node built it (`package.sbom`). */
  sbom(id: string): Promise<SbomReport>;
  /** The bundled apps a user may install (`catalog-list`); absent means none. */
  availableManifests?(): Promise<AppManifest[]>;
  /** Versions, catalog and updates (`catalog.status`, `package.*`); absent on a daemon without a catalog. */
  readonly versions?: VersionControl;
  /** Interface credentials (`package.rotate-credentials`, `package.connection-info`). */
  readonly credentials?: CredentialControl;
  /** Data adopted in place (`package.adopt`, `package.release`); absent on test stand-ins. */
  readonly adoption?: AdoptionControl;
  /** The apps' Tor: onions the user adds, every app's Tor status (`tor.*`); absent on test stand-ins. */
  readonly tor?: TorControl;
}

/** The apps' Tor as the API sees it (the mode switch goes through package.set-config). */
export interface TorControl {
  addOnion(request: OnionAddRequest): Promise<OnionChangeResult>;
  removeOnion(id: string, port: number): Promise<OnionChangeResult>;
  status(): Promise<TorStatusReport>;
}

/** Adopting existing data in place, and giving it back. */
export interface AdoptionControl {
  adopt(request: AdoptRequest): Promise<AdoptResult & { status?: AppStatus }>;
  release(id: string): Promise<ReleaseResult>;
}

/** Interface credentials: rotate a dependent's logins, tell a user how to connect. */
export interface CredentialControl {
  rotate(id: string): Promise<RotateCredentialsResult>;
  connectionInfo(request: ConnectionInfoRequest): Promise<ConnectionInfo>;
}

/** Who asked for a change: the audit log tells a user's change from the daemon's own. */
export type ChangeActor = 'user' | 'system';

/** The version side of the lifecycle: the signed catalog, version choice, pins and switches. */
export interface VersionControl {
  catalogStatus(): CatalogStatusReport;
  versions(id: string): Promise<AppVersionsReport>;
  setConfig(params: AppConfigChange): Promise<AppConfigReport>;
  setVersion(params: SetVersionRequest, actor?: ChangeActor): Promise<VersionChangeResult>;
  update(id: string, actor?: ChangeActor): Promise<VersionChangeResult>;
  switchImplementation(params: SwitchImplementationRequest): Promise<VersionChangeResult>;
  /** The plan of a set-version or switch, decided as the real call decides it; changes nothing. */
  planVersionChange(params: VersionChangePlanParams): Promise<VersionChangePlanReport>;
}
