import type { z } from 'zod';
import {
  RpcErrorCode,
  type GuardConfirmation,
  type LogLine,
  type OsStatus,
  type OsUpdateRequest,
  type RpcMethodName,
  type RemoteAccessStatus,
  type RpcMethods,
} from './contract.js';
import type {
  AdoptionControl,
  AppLifecycle,
  CredentialControl,
  TorControl,
  VersionControl,
} from '../orchestrator/lifecycle.js';
import type { ResourceManager } from '../resources/index.js';
import type { BackupService } from '../backup/index.js';
import {
  ArchyError,
  type BackupRestoreParams,
  type BackupResult,
  type BackupScheduleChange,
  type BackupScheduleReport,
  type BackupStatus,
  type RestorePlanView,
} from '../kernel/index.js';
import { parseManifest } from '../manifest/index.js';
import { listCatalog } from './catalog-list.js';
import type { RpcMethod } from './rpc-dispatcher.js';
import { rpcParamSchemas } from './rpc-params.js';
import { MAX_LOG_TAIL } from './limits.js';
import { WebAuthRefusal, type WebAuth } from './web-auth/index.js';

export type DaemonInfo = RpcMethods['daemon-info']['result'];
/** Fixed info, or a function asked on each call (e.g. to report Podman's current version). */
export type DaemonInfoSource = DaemonInfo | (() => DaemonInfo | Promise<DaemonInfo>);

export const DEFAULT_LOG_TAIL = 200;

export interface RpcMethodDependencies {
  lifecycle: AppLifecycle;
  info: DaemonInfoSource;
  /** Answers `resources`; without it the method says it is not available. */
  resources?: Pick<ResourceManager, 'report'>;
  /** Answers `web.setup-code` and `web.set-password` (bearer token only: see BEARER_ONLY_METHODS). */
  webAuth?: Pick<WebAuth, 'passwordSet' | 'setupCode' | 'setupCodeFile' | 'setPassword'>;
  /** Answers `backup.*`; without it they say backups are not available. */
  backups?: BackupControl;
  /** Answers `backup.schedule` (the daemon's backup timer); without it the method says so. */
  backupSchedule?: {
    change(change: BackupScheduleChange): Promise<BackupScheduleReport>;
    /** The jobs' status with the schedule, its next run and the last channel-backup copy. */
    status(): Promise<BackupStatus>;
  };
  /** Answers `backup.restore` and `backup.restore-plan` (backup/restore.ts). */
  restore?: RestoreControl;
  /** Answers `web.remote-access` (tor/node-tor.ts). */
  remoteAccess?: RemoteAccessControl;
  /** Answers `os.*` (os-image/); without it `os.status` says the OS is not supported. */
  osImage?: OsImageApi;
}

/** Archipelago OS's status and updates as the API needs them (os-image/os-image-control.ts). */
export interface OsImageApi {
  status(): Promise<OsStatus>;
  update(request: OsUpdateRequest): Promise<OsStatus>;
}

/** The node's Tor as `web.remote-access` drives it. */
export interface RemoteAccessControl {
  status(): Promise<RemoteAccessStatus>;
  set(change: { enabled?: boolean; newAddress?: boolean }): Promise<RemoteAccessStatus>;
}

/** What the API needs of restores. */
export interface RestoreControl {
  restore(request: BackupRestoreParams): Promise<BackupResult>;
  plan(request: BackupRestoreParams): Promise<RestorePlanView>;
}

/** What the API needs of the backup jobs (backup/backup-service.ts). */
export type BackupControl = Pick<
  BackupService,
  'init' | 'confirmKey' | 'showKey' | 'create' | 'list' | 'verify' | 'status'
>;

/**
 * Methods a web session may never call, only the CLI's bearer token: they set the web password
 * without the current one, or show the code that would let someone else choose it; or (adopt)
 * name a host folder for the daemon to hand to a container, which only someone on the node may.
 */
export const BEARER_ONLY_METHODS: ReadonlySet<RpcMethodName> = new Set([
  'web.setup-code',
  'web.set-password',
  'package.adopt',
  // Shows the backup key: only someone on the node (the CLI's token), never a web session.
  'backup.key-show',
]);

type RpcHandler<M extends RpcMethodName> = (
  params: RpcMethods[M]['params'],
) => Promise<RpcMethods[M]['result']>;
type RpcHandlers = { [M in RpcMethodName]: RpcHandler<M> };

/** The JSON-RPC method table: each method of the contract bound to the daemon's parts. */
export function createRpcMethods({
  lifecycle,
  info,
  resources,
  webAuth,
  backups,
  backupSchedule,
  restore,
  remoteAccess,
  osImage,
}: RpcMethodDependencies): Record<RpcMethodName, RpcMethod> {
  const handlers: RpcHandlers = {
    'container-install': async ({
      id,
      manifest,
      manifestFile,
      manifestDir,
      version,
      from,
      network,
      prune,
      choices,
      confirmImported,
      ...confirm
    }) => {
      // The params schema guarantees exactly one of id / manifest.
      const source =
        manifest !== undefined
          ? {
              kind: 'manifest' as const,
              yaml: manifest,
              file: manifestFile ?? 'manifest.yml',
              ...(manifestDir !== undefined && { dir: manifestDir }),
            }
          : { kind: 'bundled' as const, id: id! };
      return lifecycle.install({
        source,
        ...(version !== undefined && { version }),
        ...(from !== undefined && { from }),
        ...(network !== undefined && { network }),
        ...(prune !== undefined && { prune }),
        ...(choices !== undefined && { choices }),
        ...(confirmImported !== undefined && { confirmImported }),
        ...guardConfirmationOf(confirm),
      });
    },
    'container-start': ({ id, ...confirm }) => lifecycle.start(id, guardConfirmationOf(confirm)),
    'container-stop': ({ id, cascade }) => lifecycle.stop(id, { cascade: cascade ?? false }),
    'container-restart': ({ id, ...confirm }) => lifecycle.restart(id, guardConfirmationOf(confirm)),
    'container-remove': ({ id, purge, cascade }) =>
      lifecycle.remove(id, { purge: purge ?? false, cascade: cascade ?? false }),
    'container-status': ({ id }) => lifecycle.status(id),
    'container-list': () => lifecycle.list(),
    'container-logs': ({ id, tail, service, since, until }) =>
      since !== undefined || until !== undefined
        ? keptLogLines(lifecycle, id, { tail: tail ?? MAX_LOG_TAIL, service, since, until })
        : lastLogLines(lifecycle, id, tail ?? DEFAULT_LOG_TAIL, service),
    'container-health': ({ id }) => lifecycle.health(id),
    'manifest-lint': async ({ manifest, manifestFile }) => {
      // Throws ManifestError (an ArchyError, InvalidManifest) listing every issue with file:line:col.
      const parsed = parseManifest(manifest, manifestFile ?? 'manifest.yml');
      return { ok: true, id: parsed.id, version: parsed.version };
    },
    'daemon-info': async () => (typeof info === 'function' ? info() : info),
    resources: async () => {
      if (!resources) {
        throw new ArchyError(
          RpcErrorCode.InternalError,
          'this daemon was started without a resource manager, so it cannot report resources; upgrade or restart archipelagod',
        );
      }
      return resources.report();
    },
    'catalog.status': async () => versionControl(lifecycle).catalogStatus(),
    'package.versions': ({ id }) => versionControl(lifecycle).versions(id),
    'package.install': ({ id, version, from, network, prune, choices, ...confirm }) =>
      lifecycle.install({
        source: { kind: 'bundled', id },
        ...(version !== undefined && { version }),
        ...(from !== undefined && { from }),
        ...(network !== undefined && { network }),
        ...(prune !== undefined && { prune }),
        ...(choices !== undefined && { choices }),
        ...guardConfirmationOf(confirm),
      }),
    'package.plan-install': async ({ id, manifest, manifestFile, version, choices }) => {
      if (!lifecycle.planInstall) {
        throw new ArchyError(
          RpcErrorCode.InternalError,
          'this daemon was started without an install planner; restart archipelagod',
        );
      }
      return lifecycle.planInstall({
        ...(id !== undefined && { id }),
        ...(manifest !== undefined && { manifest }),
        ...(manifestFile !== undefined && { manifestFile }),
        ...(version !== undefined && { version }),
        ...(choices !== undefined && { choices }),
      });
    },
    'package.sbom': ({ id }) => lifecycle.sbom(id),
    'package.set-config': (params) => versionControl(lifecycle).setConfig(params),
    'package.set-version': (params) => versionControl(lifecycle).setVersion(params),
    'package.update': ({ id }) => versionControl(lifecycle).update(id),
    'package.switch-implementation': (params) => versionControl(lifecycle).switchImplementation(params),
    'package.plan-version-change': (params) => versionControl(lifecycle).planVersionChange(params),
    'package.rotate-credentials': ({ id }) => credentialControl(lifecycle).rotate(id),
    'package.connection-info': ({ id, reveal, host }) =>
      credentialControl(lifecycle).connectionInfo({
        id,
        ...(reveal !== undefined && { reveal }),
        ...(host !== undefined && { host }),
      }),
    'package.adopt': (params) => adoptionControl(lifecycle).adopt(params),
    'tor.onion-add': (params) => torControl(lifecycle).addOnion(params),
    'tor.onion-remove': ({ id, port }) => torControl(lifecycle).removeOnion(id, port),
    'tor.status': () => torControl(lifecycle).status(),
    'package.release': ({ id }) => adoptionControl(lifecycle).release(id),
    'catalog-list': () => listCatalog(lifecycle),
    'web.setup-code': async () => {
      const web = webLogin(webAuth);
      return { passwordSet: web.passwordSet, setupCode: web.setupCode ?? null, file: web.setupCodeFile };
    },
    'web.set-password': async ({ password }) => {
      try {
        return await webLogin(webAuth).setPassword(password);
      } catch (error) {
        // The password rules' own words ("too short ... use at least 12 characters").
        if (error instanceof WebAuthRefusal) throw new ArchyError(RpcErrorCode.InvalidParams, error.message);
        throw error;
      }
    },
    'backup.init': ({ target, confirmKeySaved, sameDisk }) =>
      backupControl(backups).init({
        target,
        ...(confirmKeySaved !== undefined && { confirmKeySaved }),
        ...(sameDisk !== undefined && { sameDisk }),
      }),
    'backup.confirm-key': ({ lastGroup }) => backupControl(backups).confirmKey(lastGroup),
    'backup.key-show': () => backupControl(backups).showKey(),
    'backup.create': ({ apps, target, includeChain }) =>
      backupControl(backups).create({
        reason: 'manual',
        ...(apps !== undefined && { apps }),
        ...(target !== undefined && { target }),
        ...(includeChain !== undefined && { includeChain }),
      }),
    'backup.list': ({ target }) => backupControl(backups).list(target),
    'backup.verify': ({ target, readData }) =>
      backupControl(backups).verify({
        ...(target !== undefined && { target }),
        ...(readData !== undefined && { readData }),
      }),
    'backup.status': () => (backupSchedule ? backupSchedule.status() : backupControl(backups).status()),
    'backup.schedule': async (change) => {
      if (!backupSchedule) {
        throw new ArchyError(
          RpcErrorCode.InternalError,
          'this daemon was started without backups, so it has no backup schedule; restart archipelagod',
        );
      }
      return backupSchedule.change(withoutUndefined(change));
    },
    'backup.restore': (params) => restoreControl(restore).restore(params),
    'backup.restore-plan': (params) => restoreControl(restore).plan(params),
    'web.remote-access': async ({ enabled, newAddress }) => {
      if (!remoteAccess) {
        throw new ArchyError(
          RpcErrorCode.InternalError,
          'this daemon was started without remote access over Tor; restart archipelagod',
        );
      }
      if (enabled === undefined && newAddress === undefined) return remoteAccess.status();
      return remoteAccess.set({
        ...(enabled !== undefined && { enabled }),
        ...(newAddress !== undefined && { newAddress }),
      });
    },
    'os.status': async () =>
      osImage
        ? osImage.status()
        : { supported: false, reason: 'this daemon was started without Archipelago OS support' },
    'os.update': async ({ url, reboot }) => {
      if (!osImage) {
        throw new ArchyError(
          RpcErrorCode.Conflict,
          'this daemon was started without Archipelago OS support, so it cannot update the OS',
        );
      }
      return osImage.update({ url, ...(reboot !== undefined && { reboot }) });
    },
  };

  const table = {} as Record<RpcMethodName, RpcMethod>;
  for (const name of Object.keys(handlers) as RpcMethodName[]) table[name] = bindMethod(name, handlers);
  return table;
}

/** Only the confirmations given (exactOptionalPropertyTypes: no explicit undefined). */
function guardConfirmationOf(confirm: GuardConfirmation): GuardConfirmation {
  return {
    ...(confirm.confirmDowngrade !== undefined && { confirmDowngrade: confirm.confirmDowngrade }),
    ...(confirm.confirmResync !== undefined && { confirmResync: confirm.confirmResync }),
  };
}

function webLogin(webAuth: RpcMethodDependencies['webAuth']): NonNullable<RpcMethodDependencies['webAuth']> {
  if (!webAuth) {
    throw new ArchyError(
      RpcErrorCode.InternalError,
      'this daemon was started without the web login, so it has no web password to set; restart archipelagod',
    );
  }
  return webAuth;
}

function versionControl(lifecycle: AppLifecycle): VersionControl {
  if (!lifecycle.versions) {
    throw new ArchyError(
      RpcErrorCode.InternalError,
      'this daemon was started without a catalog, so it cannot manage versions; restart archipelagod',
    );
  }
  return lifecycle.versions;
}

function torControl(lifecycle: AppLifecycle): TorControl {
  if (!lifecycle.tor) {
    throw new ArchyError(
      RpcErrorCode.InternalError,
      'this daemon was started without Tor for apps; restart archipelagod',
    );
  }
  return lifecycle.tor;
}

function credentialControl(lifecycle: AppLifecycle): CredentialControl {
  if (!lifecycle.credentials) {
    throw new ArchyError(
      RpcErrorCode.InternalError,
      'this daemon was started without interface credentials; restart archipelagod',
    );
  }
  return lifecycle.credentials;
}

const paramSchemas: { [M in RpcMethodName]: z.ZodType<RpcMethods[M]['params']> } = rpcParamSchemas;

function bindMethod<M extends RpcMethodName>(name: M, handlers: RpcHandlers): RpcMethod {
  const schema = paramSchemas[name];
  const handler: RpcHandler<M> = handlers[name];
  // parse() throws ZodError on bad params; the dispatcher turns that into InvalidParams.
  return { invoke: (params) => handler(schema.parse(params)) };
}

/** The last `tail` lines, even if the log source hands back more than asked. */
async function lastLogLines(
  lifecycle: AppLifecycle,
  id: string,
  tail: number,
  service?: string,
): Promise<LogLine[]> {
  let lines: LogLine[] = [];
  for await (const line of lifecycle.logs(id, {
    tail,
    follow: false,
    ...(service !== undefined && { service }),
  })) {
    lines.push(line);
    if (lines.length >= tail * 2) lines = lines.slice(-tail);
  }
  return lines.slice(-tail);
}

function backupControl(backups: BackupControl | undefined): BackupControl {
  if (!backups) {
    throw new ArchyError(
      RpcErrorCode.InternalError,
      'this daemon was started without backups; restart archipelagod',
    );
  }
  return backups;
}

function restoreControl(restore: RestoreControl | undefined): RestoreControl {
  if (!restore) {
    throw new ArchyError(
      RpcErrorCode.InternalError,
      'this daemon was started without restores; restart archipelagod',
    );
  }
  return restore;
}

/** The app's kept lines between `since` and `until` (the last `tail` of them). */
async function keptLogLines(
  lifecycle: AppLifecycle,
  id: string,
  query: { tail: number; service: string | undefined; since: string | undefined; until: string | undefined },
): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of lifecycle.logs(id, {
    tail: query.tail,
    follow: false,
    ...(query.service !== undefined && { service: query.service }),
    ...(query.since !== undefined && { since: query.since }),
    ...(query.until !== undefined && { until: query.until }),
  })) {
    lines.push(line);
  }
  return lines.slice(-query.tail);
}

function adoptionControl(lifecycle: AppLifecycle): AdoptionControl {
  if (!lifecycle.adoption) {
    throw new ArchyError(
      RpcErrorCode.InternalError,
      'this daemon was started without adoption of existing data; restart archipelagod',
    );
  }
  return lifecycle.adoption;
}

/** Only the fields given (a JSON-RPC client may send none; zod's output may carry undefined ones). */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
