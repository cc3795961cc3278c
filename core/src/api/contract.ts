// The shapes that cross the wire between the daemon and its clients (CLI, web UI). One source
// of truth: the UI imports these types rather than copying them. Types and a few constants the
// wire relies on (error codes, the chains offered) — nothing that pulls in other code, so
// importing this file costs a browser bundle next to nothing.

/** Lifecycle state of an installed app, as `archy status` and the UI show it. */
export type AppState =
  | 'installing'
  | 'starting'
  | 'running'
  | 'unhealthy'
  | 'crash-loop'
  | 'stopping'
  | 'stopped'
  | 'updating'
  | 'failed';

/** `none` means the manifest declares no health check. */
export type HealthStatus = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface PortBinding {
  container: number;
  host: number;
  protocol: 'tcp' | 'udp';
}

export interface AppStatus {
  id: string;
  name: string;
  version: string;
  image: string;
  state: AppState;
  health: HealthStatus;
  /** Podman's container id, when a container exists. */
  containerId?: string;
  containerName: string;
  ports: PortBinding[];
  /** What the user asked for last: the daemon keeps the app in this state across restarts. */
  desired: 'running' | 'stopped';
  installedAt: string;
  startedAt?: string;
  exitCode?: number;
  /** Why the app is failed/unhealthy, in words a user can act on. */
  message?: string;
  restartCount: number;
  /** Present in the `crash-loop` state: the supervisor stopped restarting the app. */
  crashLoop?: { since: string; exitCode?: number; lastLogs: string[] };
  /** Present when this node built the image it runs: what went in, and its SBOM. */
  provenance?: ImageProvenanceReport;
  /** A Bitcoin node's chain and pruning, as chosen at install (and pruning changed since). */
  bitcoin?: BitcoinSettings;
}

/** The chains a node can be installed on (testnet3 is not offered: it is being retired). */
export const BITCOIN_NETWORKS = ['mainnet', 'testnet4', 'signet', 'regtest'] as const;
export type BitcoinNetwork = (typeof BITCOIN_NETWORKS)[number];

/** The smallest prune target bitcoind accepts is 550 MiB; we offer whole GB from 1. */
export const MIN_PRUNE_GB = 1;

export interface BitcoinSettings {
  network: BitcoinNetwork;
  /** Prune target in GB (10^9 bytes); absent: a full node that keeps every block. */
  prune?: number;
}

/** A signer whose signature over a release's SHA256SUMS was good. */
export interface ReleaseSigner {
  /** The primary key's OpenPGP fingerprint, as the catalog pins it. */
  fingerprint: string;
  userId: string;
}

/**
 * Why a node trusts an image it built itself: the verified official release (or the bundled
 * recipe) it came from, when, the image ID it runs, and its SBOM's digest.
 */
export interface ImageProvenanceReport {
  builtBy: 'node';
  imageId: string;
  reference: string;
  builtAt: string;
  origin:
    | {
        kind: 'release';
        implementation: 'core' | 'knots';
        arch: string;
        tarball: string;
        /** The tarball's SHA-256, as the signed catalog and the signed SHA256SUMS name it. */
        sha256: string;
        /** Where the tarball came from: a URL, or file://… for a release the user brought. */
        source: string;
        signers: ReleaseSigner[];
        threshold: number;
      }
    | { kind: 'recipe'; manifestFile: string; inputsSha256: string };
  sbom: { format: string; sha256: string };
}

/** Progress while a node makes an app version's image available (a build from a release, say). */
export interface ImageProgress {
  id: string;
  version: string;
  /** `ready`: the image is available (the container is created and started next). */
  phase: 'keys' | 'signatures' | 'download' | 'verify' | 'build' | 'sbom' | 'ready';
  detail: string;
  file?: string;
  bytes?: number;
  total?: number;
  rateBytesPerSecond?: number;
  etaSeconds?: number;
}

export interface ProbeResult {
  at: string;
  ok: boolean;
  /** e.g. "HTTP 200 from :8080/" or "connection refused on :8080". */
  detail: string;
  durationMs: number;
  /** What a Bitcoin node's answer to the bitcoin probe said about its sync. */
  sync?: ChainSync;
}

/** A Bitcoin node's sync, from its `getblockchaininfo`. */
export interface ChainSync {
  /** "main", "test", "testnet4", "signet" or "regtest", as bitcoind names it. */
  chain: string;
  blocks: number;
  headers: number;
  /** 0 to 1: bitcoind's estimate of how much of the chain it has verified. */
  verificationProgress: number;
  initialBlockDownload: boolean;
  pruned: boolean;
}

export interface AppHealth {
  id: string;
  status: HealthStatus;
  /** Newest first. */
  probes: ProbeResult[];
  restartCount: number;
  /** When `status` last changed. */
  since: string;
  /** Bitcoin nodes with the bitcoin probe: the sync the last answering probe reported, and when. */
  sync?: ChainSync & { at: string };
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface PullProgress {
  id: string;
  image: string;
  completedBytes: number;
  totalBytes: number;
  layersDone: number;
  layersTotal: number;
}

/** Events pushed over `/ws`. */
export interface DaemonEvents {
  'app-state': AppStatus;
  'app-removed': { id: string };
  'pull-progress': PullProgress;
  'image-progress': ImageProgress;
  log: { id: string } & LogLine;
}
export type DaemonEventName = keyof DaemonEvents;
export interface WsEventMessage<E extends DaemonEventName = DaemonEventName> {
  event: E;
  data: DaemonEvents[E];
}
/** What a client sends over `/ws` to follow an app's logs. */
export interface WsSubscribeLogs {
  subscribe: 'logs';
  id: string;
  tail?: number;
}

/**
 * The `data` of an ImageUnavailable error when a node refused or could not get an official
 * release: which check (download, signatures, checksum) and every source it tried.
 */
export interface ReleaseRefusalData {
  check?: 'download' | 'signatures' | 'checksum';
  attempts?: { source: string; url: string; outcome: 'served' | 'unavailable'; detail?: string }[];
}

/** JSON-RPC error codes. Stable: clients switch on them. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  Unauthorized: -32001,
  NotFound: -32002,
  Conflict: -32003,
  InvalidManifest: -32004,
  PodmanError: -32005,
  ImageUnavailable: -32006,
  StartFailed: -32007,
  Busy: -32008,
  /** An install would overcommit the host's memory budget or its free disk. */
  InsufficientResources: -32009,
} as const;
export type RpcErrorCodeValue = (typeof RpcErrorCode)[keyof typeof RpcErrorCode];

/**
 * What the Bitcoin version guard asks for before a node starts on a datadir a newer version — or a
 * version nothing names — wrote: `confirmDowngrade` accepts it (and a one-time reindex it needs);
 * on a pruned node, where that means re-downloading the chain, `confirmResync` is the app id typed.
 */
export interface GuardConfirmation {
  confirmDowngrade?: boolean;
  confirmResync?: string;
}

/** Params and results of each JSON-RPC method, by method name. */
export interface RpcMethods {
  'container-install': {
    params: {
      /** A bundled app id, or omit and send `manifest`. */
      id?: string;
      /** Manifest YAML text (the CLI reads the file the user named and sends it). */
      manifest?: string;
      /** The file name to cite in manifest errors. */
      manifestFile?: string;
      /** The manifest's folder, absolute: a `build:` recipe copies files from it. */
      manifestDir?: string;
      version?: string;
      /** An official release the user brought (the tarball, or its folder), absolute; no download. */
      from?: string;
      /** A Bitcoin node's chain (default mainnet); fixed for the life of its data. */
      network?: BitcoinNetwork;
      /** A Bitcoin node's prune target in GB; 0 or absent: keep every block. */
      prune?: number;
    } & GuardConfirmation;
    result: AppStatus;
  };
  /** A Bitcoin node's start goes through the version guard: `GuardConfirmation` is what it asks for. */
  'container-start': { params: { id: string } & GuardConfirmation; result: AppStatus };
  /** `cascade` stops the running apps that depend on it first; without it they make this a refusal. */
  'container-stop': { params: { id: string; cascade?: boolean }; result: AppStatus };
  'container-restart': { params: { id: string } & GuardConfirmation; result: AppStatus };
  'container-remove': {
    params: { id: string; purge?: boolean; cascade?: boolean };
    result: { id: string; purged: boolean };
  };
  'container-status': { params: { id: string }; result: AppStatus };
  'container-list': { params: Record<string, never>; result: AppStatus[] };
  'container-logs': { params: { id: string; tail?: number }; result: LogLine[] };
  'container-health': { params: { id: string }; result: AppHealth };
  'manifest-lint': {
    params: { manifest: string; manifestFile?: string };
    result: { ok: true; id: string; version: string };
  };
  'daemon-info': {
    params: Record<string, never>;
    result: {
      version: string;
      dataDir: string;
      podman: { version: string; rootless: boolean };
      startedAt: string;
      /**
       * The mandatory access control put around apps, detected at daemon start: whether AppArmor
       * profiles and SELinux labels are applied, a one-line `applied`, and `notes` on why not.
       */
      confinement: { apparmor: boolean; selinux: boolean; applied: string; notes: string[] };
      /**
       * Registries whose images run WITHOUT a signature check (ARCHY_UNSIGNED_REGISTRIES, a
       * development escape); empty in normal operation. The web UI shows a banner when not.
       */
      unsignedRegistries: string[];
    };
  };
  resources: { params: Record<string, never>; result: ResourcesReport };
  /** The bundled apps a user may install (the UI's marketplace). */
  'catalog-list': { params: Record<string, never>; result: { apps: CatalogEntry[] } };
  /** The signed catalog in use: where from, how old, until when, and the last refresh. */
  'catalog.status': { params: Record<string, never>; result: CatalogStatusReport };
  /** The versions the catalog offers for an app, which one runs, and whether an update is due. */
  'package.versions': { params: { id: string }; result: AppVersionsReport };
  /** Installs a bundled app at a catalog version (default: the catalog's default). */
  'package.install': {
    params: {
      id: string;
      version?: string;
      from?: string;
      network?: BitcoinNetwork;
      prune?: number;
    } & GuardConfirmation;
    result: AppStatus;
  };
  /** The SBOM of the image an installed app runs, when this node built it (CycloneDX JSON text). */
  'package.sbom': {
    params: { id: string };
    result: { id: string; version: string; format: string; sha256: string; sbom: string };
  };
  /** Pins a version (null unpins) and turns auto-update on or off. */
  'package.set-config': {
    params: {
      id: string;
      pinnedVersion?: string | null;
      autoUpdate?: boolean;
      /**
       * A Bitcoin node's prune target in GB, 0 to keep every block again. Pruning on, or to another
       * size, restarts the node; off needs a full re-download and `confirmResync` (the app id).
       */
      prune?: number;
      confirmResync?: string;
    };
    result: AppConfigReport;
  };
  /**
   * Recreates the app's container at another catalog version, keeping its data, secrets, ports and
   * container name; restores the previous version if the new one does not become healthy.
   */
  'package.set-version': {
    params: { id: string; version: string; confirmDowngrade?: boolean; confirmResync?: string };
    result: VersionChangeResult;
  };
  /** set-version to the catalog default, when it is newer than what runs. */
  'package.update': { params: { id: string }; result: VersionChangeResult };
  /** Moves a Bitcoin datadir from one implementation to the other (Core ⇄ Knots). */
  'package.switch-implementation': {
    params: {
      from: string;
      to: string;
      version?: string;
      confirmSwitch?: boolean;
      confirmDowngrade?: boolean;
      confirmResync?: string;
    };
    result: VersionChangeResult;
  };
  /**
   * The web UI's first-run setup code (null once a password is set). Only with the CLI's bearer
   * token, like `web.set-password`: a web session can't call either.
   */
  'web.setup-code': {
    params: Record<string, never>;
    result: { passwordSet: boolean; setupCode: string | null; file: string };
  };
  /** Sets or resets the web password (`archy web password`); ends every web session. */
  'web.set-password': { params: { password: string }; result: { sessionsEnded: number } };
}
export type RpcMethodName = keyof RpcMethods;

/** `catalog.status`: the signed catalog this node uses. */
export interface CatalogStatusReport {
  /** `bundled`: shipped with the software; `stored`: the last good one fetched from `url`. */
  source: 'bundled' | 'stored';
  metadataVersion: number;
  rootVersion: number;
  expires: string;
  /** Past its expiry: still used (it is the best this node has), but no longer fresh. */
  expired: boolean;
  fetchedAt?: string;
  /** Seconds since it was fetched; absent for the bundled catalog. */
  ageSeconds?: number;
  /** Where refreshes come from (ARCHY_CATALOG_URL); absent when the node never refreshes. */
  refreshUrl?: string;
  refreshIntervalSeconds?: number;
  /** The last refresh attempt; when it failed, `error` says why and the last good catalog stayed. */
  lastRefresh?: { at: string; url: string; ok: boolean; error?: string; reason?: string };
  apps: Array<{ id: string; defaultVersion: string; versions: string[] }>;
}

/** One version the catalog offers for an app. */
export interface AppVersionInfo {
  version: string;
  /** How to show it: `28.4`, Knots `29.3 (2026-05-08)`. */
  display: string;
  image: string;
  default: boolean;
  deprecated: boolean;
  eol?: string;
  notes?: string;
  /** This version is the one installed. */
  installed: boolean;
}

/** `package.versions`. */
export interface AppVersionsReport {
  id: string;
  installed: boolean;
  /** The installed version, when installed. */
  version?: string;
  defaultVersion: string;
  /** Newest first; floating tags (`latest`) are never listed. */
  versions: AppVersionInfo[];
  /** The catalog default, when it is newer than what runs and the app is not pinned. */
  update?: { version: string; display: string };
  pinnedVersion?: string;
  autoUpdate: boolean;
}

/** `package.set-config`: an app's version preferences (DATA_DIR/app-configs/<id>.json). */
export interface AppConfigReport {
  id: string;
  pinnedVersion?: string;
  autoUpdate: boolean;
  /** A Bitcoin node's prune target in GB; absent: keeps every block (or not a Bitcoin node). */
  prune?: number;
  /** What a settings change meant (e.g. "restarted with -prune=9536"). */
  message?: string;
}

/** What a version change or implementation switch did. */
export interface VersionChangeResult {
  status: AppStatus;
  from: { id: string; version: string };
  to: { id: string; version: string };
  /** What the change meant for the data (e.g. a reindex), in words. */
  warning?: string;
  /** Extra arguments the new version's first start got (e.g. -reindex-chainstate). */
  startArgs?: string[];
  /**
   * After such a first start, once the node answered again without them: whether bitcoind is still
   * rebuilding, with its progress when known.
   */
  progress?: string;
}

/** One installable app, from its bundled manifest. */
export interface CatalogEntry {
  id: string;
  name: string;
  version: string;
  /** bitcoin | lightning | web5 | mesh | self-hosted | other */
  category: string;
  description?: string;
  icon?: string;
  homepage?: string;
  /** App ids or interfaces (e.g. bitcoin-node) it needs, with an optional semver range. */
  dependencies: Array<{ id: string; version?: string }>;
  /** Interfaces it provides to dependents, e.g. bitcoin-node. */
  provides: string[];
  /** Apps it never runs together with. */
  conflicts: string[];
  installed: boolean;
  /**
   * The versions an install can choose, newest first, as `package.versions` lists them: the signed
   * catalog's, or only the manifest's own version when the catalog lists none of this app.
   */
  versions: AppVersionInfo[];
  /** What an install without a version picks: the catalog default, else the manifest's version. */
  defaultVersion: string;
  /** When installed: the version that runs (the `update` below was computed against it). */
  installedVersion?: string;
  /** When installed: the catalog default, if it is newer than what runs and the app is not pinned. */
  update?: { version: string; display: string };
  pinnedVersion?: string;
  autoUpdate: boolean;
  /**
   * A Bitcoin node's chain and pruning as its manifest sets them: what an install without
   * `network`/`prune` gets (the install dialog preselects it).
   */
  bitcoin?: BitcoinSettings;
}

/**
 * Which resource limits the kernel enforces for our containers. Rootless Podman on cgroup v1
 * accepts limits and ignores them; on cgroup v2 it needs each controller delegated to its user.
 */
export interface LimitEnforcement {
  cgroupVersion: 'v1' | 'v2';
  memory: boolean;
  cpu: boolean;
  pids: boolean;
  /** Why some limit is not enforced and how to fix it; absent when all are. */
  reason?: string;
}

/** What the host has to give. Sizes in bytes. */
export interface HostCapacity {
  memoryBytes: number;
  memoryAvailableBytes: number;
  cpus: number;
  /** The file system holding the data dir. `freeBytes` is what an unprivileged user may use. */
  disk: { path: string; freeBytes: number; totalBytes: number };
  enforcement: LimitEnforcement;
}

/** How much of the host installs may claim. */
export interface ResourceBudget {
  /** Share of RAM (0-1] that apps' memory reservations may add up to. */
  memoryShare: number;
  /** Free disk (bytes) an install must leave untouched. */
  diskReserveBytes: number;
}

/** One app's current use. CPU in percent of one CPU (200 = two CPUs busy), sizes in bytes. */
export interface AppUsage {
  id: string;
  /** Absent when the app is not running. */
  cpuPercent?: number;
  memoryBytes?: number;
  /** The limit the manifest declares (enforced only where `enforcement.memory`). */
  memoryLimitBytes?: number;
  /** Allocated size of DATA_DIR/apps/<id>, measured at most about a minute ago. */
  diskBytes: number;
  /** True when part of the data dir could not be read (e.g. owned by a container user). */
  diskPartial?: boolean;
  /** `cgroup`: Podman's stats; `proc`: summed from the container's processes in /proc. */
  source: 'cgroup' | 'proc';
}

export interface ResourcesReport {
  capacity: HostCapacity;
  budget: ResourceBudget & { memoryBudgetBytes: number };
  /** Sums over installed apps: memory reservations (or limits) and declared minimum disk. */
  allocated: { memoryBytes: number; diskMinBytes: number };
  apps: AppUsage[];
}

/**
 * The web UI's login endpoints (plain JSON, not JSON-RPC), by path. After login or setup the
 * browser holds an HttpOnly session cookie (`__Host-archy_session` over TLS) bound to the Host it
 * was created under, and the answer's `csrfToken` — handed out only there, never by
 * /auth/status. Every POST /rpc/v1 must carry it in `X-CSRF-Token`, and GET /ws as the
 * subprotocol `archy-csrf.<token>` beside `archy`: a cookie alone is refused. Sessions live in the
 * daemon's memory: a daemon restart logs every browser out.
 */
export interface WebAuthEndpoints {
  'GET /auth/status': { request: undefined; response: WebAuthStatus };
  /**
   * First run only (409 once a password is set); needs the setup code the daemon printed (or the
   * CLI's bearer token); logs the caller in and uses the code up.
   */
  'POST /auth/setup': { request: WebAuthSetupRequest; response: WebAuthSession };
  /** 401 on a wrong password, 429 with Retry-After when throttled. */
  'POST /auth/login': { request: WebAuthPasswordRequest; response: WebAuthSession };
  'POST /auth/logout': { request: undefined; response: { ok: true } };
  /** Needs the session and its CSRF token; ends every other session. */
  'POST /auth/password': { request: WebAuthChangePasswordRequest; response: WebAuthSession };
}

export interface WebAuthStatus {
  /** False until the first-run setup: the UI should offer to choose a password. */
  passwordSet: boolean;
  /** True when the request's cookie names a live session *and* it carries that session's CSRF token. */
  authenticated: boolean;
}

export interface WebAuthSetupRequest {
  password: string;
  /** From the daemon's log or `archy web setup-code`; dashes, spaces and case don't matter. */
  setupCode?: string;
}

export interface WebAuthPasswordRequest {
  password: string;
}

export interface WebAuthChangePasswordRequest {
  current: string;
  next: string;
}

export interface WebAuthSession {
  /** Send as `X-CSRF-Token` on every POST /rpc/v1 (keep it in sessionStorage: it is not given again). */
  csrfToken: string;
}

/** The body of every refusal from /auth/*. */
export interface WebAuthError {
  error: string;
  /** With 429: seconds to wait, as in the Retry-After header. */
  retryAfterSeconds?: number;
}
