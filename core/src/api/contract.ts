// The shapes that cross the wire between the daemon and its clients (CLI, web UI). One source
// of truth: the UI imports these types rather than copying them. The domain types and error codes
// live in the kernel (core/src/kernel/), which every layer uses; this file re-exports the ones the
// wire carries, unchanged, and adds the wire's own shapes (methods, /ws messages, web login).
// Types and a few constants — nothing that pulls in other code, so importing this file costs a
// browser bundle next to nothing.

import type { AdoptRequest, AdoptResult, ReleaseResult } from '../kernel/adoption.js';
import type { AppHealth, AppStatus, DaemonEventName, DaemonEvents, LogLine } from '../kernel/app-status.js';
import type { BitcoinNetwork, BitcoinSettings } from '../kernel/bitcoin-settings.js';
import type { InstallPlanRequest, InstallPlanView } from '../kernel/install-plan.js';
import type { ResourcesReport } from '../kernel/resources.js';
import type { OsStatus, OsUpdateRequest } from '../kernel/os-image.js';
import type {
  BackupRestoreParams,
  BackupResult,
  BackupScheduleChange,
  BackupScheduleReport,
  BackupSnapshotInfo,
  BackupStatus,
  RestorePlanView,
} from '../kernel/backups.js';
import type {
  OnionAddRequest,
  OnionChangeResult,
  RemoteAccessStatus,
  TorStatusReport,
} from '../kernel/tor.js';
import type {
  ConnectionInfo,
  ConnectionInfoRequest,
  RotateCredentialsResult,
} from '../kernel/connection-info.js';
import type {
  AppConfigChange,
  AppConfigReport,
  AppVersionInfo,
  AppVersionsReport,
  CatalogStatusReport,
  GuardConfirmation,
  SbomReport,
  SetVersionRequest,
  SwitchImplementationRequest,
  VersionChangePlanParams,
  VersionChangePlanReport,
  VersionChangeResult,
} from '../kernel/versions.js';

export * from '../kernel/adoption.js';
export * from '../kernel/backups.js';
export * from '../kernel/app-status.js';
export * from '../kernel/bitcoin-settings.js';
export * from '../kernel/connection-info.js';
export * from '../kernel/error-codes.js';
export * from '../kernel/error-data.js';
export * from '../kernel/install-plan.js';
export * from '../kernel/resources.js';
export * from '../kernel/tor.js';
export * from '../kernel/os-image.js';
export * from '../kernel/versions.js';

/** An event pushed over `/ws` (`DaemonEvents` lists them). */
export interface WsEventMessage<E extends DaemonEventName = DaemonEventName> {
  event: E;
  data: DaemonEvents[E];
}
/** What a client sends over `/ws` to follow an app's logs. */
export interface WsSubscribeLogs {
  subscribe: 'logs';
  id: string;
  tail?: number;
  /** ISO time: the kept lines since then, then new ones across container recreations (each with time and container). */
  since?: string;
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
      /** Interface → the app to provide it when several could, e.g. `{ 'bitcoin-node': 'bitcoin-knots' }`. */
      choices?: Record<string, string>;
      /**
       * An imported manifest (`origin:`): the user saw its grants and accepts running its
       * digest-pinned images unsigned. Without it such an install is a Conflict, `data: { imported }`.
       */
      confirmImported?: boolean;
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
  /**
   * With `since`/`until` (ISO, both included): the app's kept lines across its containers (at
   * most `tail`, default MAX_LOG_TAIL, the last ones), each with `time` and `container`.
   */
  'container-logs': {
    params: { id: string; tail?: number; service?: string; since?: string; until?: string };
    result: LogLine[];
  };
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
      /** Interface → app id, as `package.plan-install` offered the choice. */
      choices?: Record<string, string>;
    } & GuardConfirmation;
    result: AppStatus;
  };
  /**
   * What `package.install` with the same id, version and choices would do, and which choices are
   * still open (`ready: false`: the install would be refused as ambiguous). Changes nothing.
   */
  'package.plan-install': { params: InstallPlanRequest; result: InstallPlanView };
  /** The SBOM of the image an installed app runs, when this node built it (CycloneDX JSON text). */
  'package.sbom': { params: { id: string }; result: SbomReport };
  /** Pins a version (null unpins) and turns auto-update on or off. */
  'package.set-config': {
    params: AppConfigChange;
    result: AppConfigReport;
  };
  /**
   * Recreates the app's container at another catalog version, keeping its data, secrets, ports and
   * container name; restores the previous version if the new one does not become healthy.
   */
  'package.set-version': {
    params: SetVersionRequest;
    result: VersionChangeResult;
  };
  /** set-version to the catalog default, when it is newer than what runs. */
  'package.update': { params: { id: string }; result: VersionChangeResult };
  /** Moves a Bitcoin datadir from one implementation to the other (Core ⇄ Knots). */
  'package.switch-implementation': {
    params: SwitchImplementationRequest;
    result: VersionChangeResult;
  };
  /**
   * A dry run of `package.set-version` (`op: 'set-version'`) or `package.switch-implementation`
   * (`op: 'switch-implementation'`) with the same params: the plan the daemon would follow, decided
   * exactly as the real call decides it (catalog choice, the datadir's evidence, the downgrade
   * rules), and whether these params would let it go ahead. Changes nothing.
   */
  'package.plan-version-change': {
    params: VersionChangePlanParams;
    result: VersionChangePlanReport;
  };
  /**
   * A new Bitcoin RPC password for the app at every node it uses; the node is recreated (bitcoind
   * reads its logins at start) and the app recreated with its new secret file.
   */
  'package.rotate-credentials': { params: { id: string }; result: RotateCredentialsResult };
  /** How to connect to the app's interfaces; secret values only with `reveal` (audited). */
  'package.connection-info': { params: ConnectionInfoRequest; result: ConnectionInfo };
  /**
   * Installs a bundled Bitcoin node on an existing datadir in place (`archy parmanode adopt`): the
   * volumes are bound to those host folders, which must be the daemon user's; the version guard
   * applies. `check: true` checks everything and changes nothing (`status` absent then).
   */
  'package.adopt': { params: AdoptRequest; result: AdoptResult & { status?: AppStatus } };
  /** Removes an adopted app and gives its data back to its owner, where it is (`archy parmanode release`). */
  'package.release': { params: { id: string }; result: ReleaseResult };
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
  /** Adds an onion service for a port of the app (`archy onion add`); recreates only its Tor. */
  'tor.onion-add': { params: OnionAddRequest; result: OnionChangeResult };
  /** Removes an onion the user added (`archy onion remove`); its key goes with it. */
  'tor.onion-remove': { params: { id: string; port: number }; result: OnionChangeResult };
  /** Every app's Tor (mode, onions with addresses) and the node's remote access. */
  'tor.status': { params: Record<string, never>; result: TorStatusReport };
  /**
   * Remote access to the web UI and API over Tor (`archy web remote-access`): no params shows it;
   * `enabled` turns it on or off (the address stays across off/on), `newAddress` with on makes a
   * new one. Audited when it changes something.
   */
  'web.remote-access': {
    params: { enabled?: boolean; newAddress?: boolean };
    result: RemoteAccessStatus;
  };
  /**
   * Sets up backups to a target (README "Backups"): makes the restic repository with a new key,
   * returned this once (`key`; absent when the node already had one). `confirmKeySaved`: the user
   * kept it (else `backup.confirm-key`). `sameDisk`: a local target on the data dir's disk, on purpose.
   */
  'backup.init': {
    params: { target: string; confirmKeySaved?: boolean; sameDisk?: boolean };
    result: { target: string; key?: string; keyConfirmed: boolean };
  };
  /** The user typed the key's last group back. */
  'backup.confirm-key': { params: { lastGroup: string }; result: { keyConfirmed: true } };
  /** The backup key again: bearer token only (someone on the node), audited. */
  'backup.key-show': { params: Record<string, never>; result: { key: string } };
  /**
   * One snapshot of the apps (default all): each is stopped briefly and started again; returns when
   * done, progress on /ws as `backup.progress`. A second job while one runs is refused (Busy).
   */
  'backup.create': {
    params: { apps?: string[]; target?: string; includeChain?: boolean };
    result: BackupSnapshotInfo;
  };
  /** The target's snapshots made by Archipelago, newest first. */
  'backup.list': { params: { target?: string }; result: BackupSnapshotInfo[] };
  /** `restic check` (`readData`: every pack read back); a damaged repository is an error naming the packs. */
  'backup.verify': { params: { target?: string; readData?: boolean }; result: BackupResult };
  'backup.status': { params: Record<string, never>; result: BackupStatus };
  /** The backup schedule (`archy backup schedule`): each field given changes it; none: only shows it. */
  'backup.schedule': { params: BackupScheduleChange; result: BackupScheduleReport };
  /**
   * Restores apps from a snapshot (README "Restore"): the whole snapshot into staging first, then
   * app by app (installed at the recorded version, data, secrets re-sealed, onion keys). Returns
   * when done; progress on /ws as `backup.progress` (job `restore`). A fresh node gives `target` and `key`.
   */
  'backup.restore': { params: BackupRestoreParams; result: BackupResult };
  /** Which snapshot and apps `backup.restore` would restore and which installed apps it replaces; changes nothing. */
  'backup.restore-plan': { params: BackupRestoreParams; result: RestorePlanView };
  /**
   * Archipelago OS's version, slots, last update and last boot (README "OS updates");
   * `{supported: false}` on a node that does not run Archipelago OS.
   */
  'os.status': { params: Record<string, never>; result: OsStatus };
  /**
   * Downloads an OS update bundle into the spool and hands it to the root update service, which
   * checks its signature and writes the other slot; returns once handed over (follow with
   * `os.status`). `reboot`: restart into it once written.
   */
  'os.update': { params: OsUpdateRequest; result: OsStatus };
}
export type RpcMethodName = keyof RpcMethods;

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
