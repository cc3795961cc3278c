// The backup jobs (jobs.ts) with restic: init, create, list, verify, status, forget, copyFile.
// One job at a time per node: a second create/verify is refused with what runs; a channel-backup
// copy waits for the running job instead (it is small and must not be lost).
//
// A create, in order (README "Backups", consistency): the repository is opened first (a wrong
// key, a missing or unreachable target fails here, before any app is touched); then the apps are
// stopped through the orchestrator (BackupHold: desired state untouched), their records,
// manifests and secrets written to the data dir's `archy-backup/` (0700), one restic snapshot
// taken of their data and that folder, the folder removed, the apps started again.

import { hostname } from 'node:os';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  ArchyError,
  RpcErrorCode,
  type BackupProgress,
  type BackupResult,
  type BackupRetention,
  type BackupSnapshotInfo,
  type BackupStatus,
  type DaemonEvents,
} from '../kernel/index.js';
import type { DataLayout } from '../layout/index.js';
import type { BackupHold, HeldApp } from '../orchestrator/index.js';
import type { PauseHook } from '../orchestrator/test-pause.js';
import type { SecretStore } from '../security/secrets/index.js';
import type { TypedEventBus } from '../util/event-bus.js';
import { BackupConfigStore, type BackupConfig } from './backup-config.js';
import { generateBackupKey, lastKeyGroup, NodeBackupKey, normalizeBackupKey } from './backup-key.js';
import { BackupStateStore } from './backup-state.js';
import { checkLocalTarget, maskTarget, parseTarget, type BackupTarget } from './backup-target.js';
import type { BackupJobs, CreateBackupRequest, ProgressListener, RestoreRequest } from './jobs.js';
import { ResticError } from './restic-errors.js';
import type { ResticMessage } from './restic-message.js';
import { removeLeftoverSecretFiles, runRestic, type ResticOutput, type ResticRun } from './restic-runner.js';
import {
  appExcludes,
  BACKUP_FORMAT,
  removeSnapshotMeta,
  snapshotInfo,
  snapshotPaths,
  snapshotTags,
  versionTags,
  writeSnapshotMeta,
  type BackupManifestFile,
  type ResticSnapshot,
  type SnapshotAppFiles,
} from './snapshot-layout.js';

export interface BackupServiceOptions {
  layout: DataLayout;
  secrets: Pick<SecretStore, 'get' | 'set' | 'list'>;
  hold: Pick<BackupHold, 'hold' | 'installedIds'>;
  /** Restores (restore.ts), run as this service's one job. */
  restorer?: Pick<BackupJobs, 'restore'>;
  events?: Pick<TypedEventBus<DaemonEvents>, 'emit'>;
  /** Test hook (ARCHY_TEST_PAUSE_AT): `backup-snapshot` pauses with the apps stopped, restic running. */
  pause?: PauseHook;
  log: Logger;
}

export interface InitRequest {
  target: string;
  /** The user kept the key (non-interactive `--confirm-key-saved`); else confirmKey later. */
  confirmKeySaved?: boolean;
  /** A local target on the data dir's own disk, on purpose. */
  sameDisk?: boolean;
}

export interface InitResult {
  target: string;
  /** The key, shown this once; absent when the node already had one (see `archy backup key show`). */
  key?: string;
  keyConfirmed: boolean;
}

/** Snapshots of LND's channel.backup: kept by their own rule, apart from the schedule's retention. */
export const CHANNEL_BACKUP_KEEP_LAST = 30;

export class BackupService implements BackupJobs {
  private readonly config: BackupConfigStore;
  private readonly state: BackupStateStore;
  private readonly key: NodeBackupKey;
  private running: BackupProgress | undefined;
  private readonly abort = new AbortController();
  /** The job in flight (any kind), for copyFile to wait behind. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: BackupServiceOptions) {
    this.config = new BackupConfigStore(options.layout);
    this.state = new BackupStateStore(options.layout);
    this.key = new NodeBackupKey(options.secrets);
  }

  /**
   * After a daemon start: a backup killed mid-way left `archy-backup/` (with plain-text secrets)
   * in the data dir: removed before anything else. Its apps were left to the boot reconcile
   * (their desired state was never changed); restic's lock of the killed run is stale and is
   * removed at the next job that meets it.
   */
  async recover(): Promise<void> {
    const staging = this.options.layout.backupStagingDir;
    if (
      await access(staging).then(
        () => true,
        () => false,
      )
    ) {
      this.options.log.warn({ staging }, 'removing the metadata of a backup that was interrupted');
      await removeSnapshotMeta(this.options.layout.root);
    }
    const left = await removeLeftoverSecretFiles(this.options.layout.runDir);
    if (left.length > 0)
      this.options.log.warn({ files: left }, "removed restic's key files that a killed run left in run/");
  }

  /**
   * Daemon shutdown: ends a running restic child and waits for its job to wind down — the apps a
   * backup held are started again, a restore finishes its app — while Podman is still there.
   */
  async shutdown(): Promise<void> {
    this.abort.abort();
    await this.tail;
  }

  // ---- set-up -------------------------------------------------------------------------------

  async init(request: InitRequest): Promise<InitResult> {
    const target = parseTarget(request.target);
    await checkLocalTarget(target, this.options.layout.root, { sameDisk: request.sameDisk ?? false });
    return this.exclusive('create', async () => {
      const existing = await this.key.get();
      const key = existing ?? generateBackupKey();
      const run = this.resticRun(target, key);
      await runRestic({ ...run, args: ['init', '--json'] }).catch(async (error: unknown) => {
        if (!(error instanceof ResticError) || !/already (exists|initialized)/i.test(error.message))
          throw error;
        // A repository is there: fine if this node's key opens it (a second init to the same disk).
        await runRestic({ ...run, args: ['cat', 'config'] });
      });
      if (!existing) await this.key.set(key);
      const keyConfirmed = existing
        ? ((await this.config.read())?.keyConfirmed ?? false) || (request.confirmKeySaved ?? false)
        : (request.confirmKeySaved ?? false);
      await this.config.write({
        target: target.repository,
        initializedAt: new Date().toISOString(),
        keyConfirmed,
      });
      this.options.log.info({ target: maskTarget(target.repository) }, 'backup target set up');
      return { target: maskTarget(target.repository), ...(!existing && { key }), keyConfirmed };
    });
  }

  /** The user typed the key's last group back. */
  async confirmKey(lastGroup: string): Promise<{ keyConfirmed: true }> {
    const config = await this.requireConfig();
    const key = await this.requireKey();
    if (lastGroup.trim().toUpperCase() !== lastKeyGroup(key)) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        "that is not the key's last group; look at the key you saved (or show it again with: archy backup key show) and type its last four characters",
      );
    }
    await this.config.write({ ...config, keyConfirmed: true });
    return { keyConfirmed: true };
  }

  /** The backup key again (`archy backup key show`; the API audits the call). */
  async showKey(): Promise<{ key: string }> {
    await this.requireConfig();
    return { key: await this.requireKey() };
  }

  // ---- jobs ---------------------------------------------------------------------------------

  async create(request: CreateBackupRequest, onProgress?: ProgressListener): Promise<BackupSnapshotInfo> {
    const { target, key } = await this.targetAndKey(request.target);
    const ids =
      request.apps && request.apps.length > 0 ? [...new Set(request.apps)] : this.options.hold.installedIds();
    if (ids.length === 0) {
      throw new ArchyError(RpcErrorCode.NotFound, 'no apps are installed, so there is nothing to back up');
    }
    const includeChain = request.includeChain ?? false;
    return this.job('create', ids, onProgress, async (progress) => {
      const run = this.resticRun(target, key);
      // Before any app stops: a wrong key, a missing or unreachable target fail here.
      await this.withStaleLockRetry(run, ['cat', 'config']);
      const output = await this.options.hold.hold(
        ids,
        async (apps) => {
          await removeSnapshotMeta(this.options.layout.root);
          try {
            await writeSnapshotMeta(
              this.options.layout.root,
              this.manifestFile(apps, request.reason, includeChain),
              await this.appFiles(apps),
            );
            progress({ phase: 'snapshot' });
            const paths = await this.pathsOf(apps);
            const backup = runRestic({
              ...run,
              inUserNamespace: true,
              cwd: this.options.layout.root,
              args: [
                'backup',
                '--json',
                ...snapshotTags(ids, request.reason, includeChain).flatMap((tag) => ['--tag', tag]),
                ...versionTags(apps.map((app) => ({ id: app.id, version: app.record.version }))).flatMap(
                  (tag) => ['--tag', tag],
                ),
                ...apps
                  .flatMap((app) => appExcludes(app.manifest, { includeChain }))
                  .flatMap((p) => ['--exclude', p]),
                ...paths,
              ],
              onMessage: (message) => progress(snapshotProgress(message)),
            });
            await this.options.pause?.('backup-snapshot', ids.join(','));
            const done = await backup;
            // restic's summary names only the short id: the full one is looked up while the apps
            // start again, not before (one restic run less on the apps' stopped time).
            const summary = done.messages.find((message) => message.message_type === 'summary');
            const shortId = typeof summary?.snapshot_id === 'string' ? summary.snapshot_id : undefined;
            if (!shortId)
              throw new ArchyError(RpcErrorCode.InternalError, 'restic finished without naming its snapshot');
            const listing = this.snapshots(run, [shortId]);
            listing.catch(() => undefined);
            return { shortId, listing };
          } finally {
            await removeSnapshotMeta(this.options.layout.root);
          }
        },
        ({ phase, app }) => progress({ phase, app }),
      );
      const { shortId, listing } = output;
      const [snapshot] = await listing;
      if (!snapshot)
        throw new ArchyError(RpcErrorCode.InternalError, `restic's snapshot ${shortId} is not listed`);
      return { value: snapshot, snapshot: snapshot.id };
    });
  }

  async list(targetText?: string): Promise<BackupSnapshotInfo[]> {
    const { target, key } = await this.targetAndKey(targetText);
    const snapshots = await this.snapshots(this.resticRun(target, key), []);
    return snapshots.reverse();
  }

  async verify(
    options: { target?: string; readData?: boolean },
    onProgress?: ProgressListener,
  ): Promise<BackupResult> {
    const { target, key } = await this.targetAndKey(options.target);
    return this.jobResult('verify', [], onProgress, async (progress) => {
      progress({ phase: 'verifying' });
      await this.withStaleLockRetry(this.resticRun(target, key), [
        'check',
        ...(options.readData ? ['--read-data'] : []),
      ]);
      return { value: undefined };
    });
  }

  /** As the node's one job (restore.ts does the work; it reports its own progress events). */
  restore(request: RestoreRequest, onProgress?: ProgressListener): Promise<BackupResult> {
    const restorer = this.options.restorer;
    if (!restorer) {
      return Promise.reject(
        new ArchyError(
          RpcErrorCode.InternalError,
          'this daemon was started without restores; restart archipelagod',
        ),
      );
    }
    return this.exclusive('restore', () =>
      restorer.restore(request, (progress) => {
        this.running = progress;
        onProgress?.(progress);
      }),
    );
  }

  /** `restic forget --prune`: the retention for ordinary snapshots, keep-last 30 for channel backups. */
  async forget(retention: BackupRetention): Promise<BackupResult> {
    const { target, key } = await this.targetAndKey();
    return this.jobResult('prune', [], undefined, async (progress) => {
      progress({ phase: 'pruning' });
      const run = this.resticRun(target, key);
      const keep = [
        ...(retention.keepLast !== undefined ? ['--keep-last', String(retention.keepLast)] : []),
        ...(retention.keepDaily !== undefined ? ['--keep-daily', String(retention.keepDaily)] : []),
        ...(retention.keepWeekly !== undefined ? ['--keep-weekly', String(retention.keepWeekly)] : []),
        ...(retention.keepMonthly !== undefined ? ['--keep-monthly', String(retention.keepMonthly)] : []),
      ];
      // Grouped by host and paths, i.e. per set of apps: a retention of 7 keeps 7 of each set, so
      // an app backed up on its own once is never pruned away by a schedule of other apps.
      if (keep.length > 0) {
        await this.withStaleLockRetry(run, [
          'forget',
          '--group-by',
          'host,paths',
          '--tag',
          'reason:manual',
          '--tag',
          'reason:schedule',
          ...keep,
        ]);
      }
      await this.withStaleLockRetry(run, [
        'forget',
        '--group-by',
        'host',
        '--tag',
        'reason:channel-backup',
        '--keep-last',
        String(CHANNEL_BACKUP_KEEP_LAST),
        '--prune',
      ]);
      return { value: undefined };
    });
  }

  /** One file of an app's data (LND's channel.backup) as its own snapshot; waits for a running job. */
  async copyFile(appId: string, file: string): Promise<BackupSnapshotInfo> {
    const { target, key } = await this.targetAndKey();
    const relative = file.replace(/^\/+/, '');
    if (relative.split('/').includes('..')) {
      throw new ArchyError(RpcErrorCode.InvalidParams, `${file} is not a file inside ${appId}'s data`);
    }
    const previous = this.tail;
    const mine = previous
      .catch(() => undefined)
      .then(async () => {
        const run = this.resticRun(target, key);
        const output = await this.withStaleLockRetry(
          { ...run, inUserNamespace: true, cwd: this.options.layout.root },
          [
            'backup',
            '--json',
            ...snapshotTags([appId], 'channel-backup', false).flatMap((tag) => ['--tag', tag]),
            `${snapshotPaths.appData(appId)}/${relative}`,
          ],
        );
        const shortId = output.messages.find((m) => m.message_type === 'summary')?.snapshot_id;
        const [snapshot] = await this.snapshots(run, [String(shortId)]);
        if (!snapshot)
          throw new ArchyError(
            RpcErrorCode.InternalError,
            `restic's snapshot ${String(shortId)} is not listed`,
          );
        return snapshot;
      });
    this.tail = mine.catch(() => undefined);
    return mine;
  }

  async status(): Promise<BackupStatus> {
    const [config, state] = await Promise.all([this.config.read(), this.state.read()]);
    return {
      ...(config && { target: maskTarget(config.target) }),
      keyConfirmed: config?.keyConfirmed ?? false,
      ...(this.running && { running: { ...this.running } }),
      ...(state.last && { last: state.last }),
      ...(state.lastSuccess && { lastSuccess: state.lastSuccess }),
    };
  }

  // ---- the parts ----------------------------------------------------------------------------

  private async requireConfig(): Promise<BackupConfig> {
    const config = await this.config.read();
    if (!config) {
      throw new ArchyError(
        RpcErrorCode.NotFound,
        'backups are not set up on this node; run: archy backup init --to TARGET (a mounted disk or rest:http://host:port/path)',
      );
    }
    return config;
  }

  private async requireKey(): Promise<string> {
    const key = await this.key.get();
    if (!key) {
      throw new ArchyError(
        RpcErrorCode.NotFound,
        'this node keeps no backup key; run: archy backup init --to TARGET',
      );
    }
    return key;
  }

  /** The target asked for, else the configured one, and the node's key; refused before init. */
  private async targetAndKey(targetText?: string): Promise<{ target: BackupTarget; key: string }> {
    const config = await this.requireConfig();
    const key = await this.requireKey();
    return { target: parseTarget(targetText ?? config.target), key };
  }

  private resticRun(target: BackupTarget, key: string): Omit<ResticRun, 'args'> {
    return {
      repository: target.repository,
      password: normalizeBackupKey(key),
      runDir: this.options.layout.runDir,
      signal: this.abort.signal,
    };
  }

  /**
   * Runs restic; when the repository is locked, removes the locks that are stale (`restic unlock`
   * removes only those: a run that died on this host, or any lock older than 30 minutes) and
   * tries once more. A live lock is the user's answer (Busy).
   */
  private async withStaleLockRetry(run: Omit<ResticRun, 'args'>, args: string[]): Promise<ResticOutput> {
    try {
      return await runRestic({ ...run, args });
    } catch (error) {
      if (!(error instanceof ResticError) || error.kind !== 'locked') throw error;
      this.options.log.warn(
        { target: maskTarget(run.repository) },
        'the repository is locked; removing stale locks',
      );
      const { repository, password, runDir, signal } = run;
      await runRestic({ repository, password, runDir, args: ['unlock'], ...(signal && { signal }) });
      return runRestic({ ...run, args });
    }
  }

  private async snapshots(run: Omit<ResticRun, 'args'>, ids: string[]): Promise<BackupSnapshotInfo[]> {
    const { stdout, messages } = await this.withStaleLockRetry(run, [
      'snapshots',
      '--json',
      '--tag',
      'archy',
      ...ids,
    ]);
    // `snapshots --json` prints one JSON array; the runner keeps a line that is not an object as text.
    const list = (stdout.trim().startsWith('[') ? JSON.parse(stdout) : messages) as ResticSnapshot[];
    return list.map((snapshot) => snapshotInfo(snapshot));
  }

  private manifestFile(
    apps: readonly HeldApp[],
    reason: CreateBackupRequest['reason'],
    includeChain: boolean,
  ) {
    const file: BackupManifestFile = {
      format: BACKUP_FORMAT,
      createdAt: new Date().toISOString(),
      node: { hostname: hostname() },
      reason,
      apps: apps.map((app) => ({
        id: app.id,
        version: app.record.version,
        desired: app.record.desired,
        includesChain: includeChain && app.manifest.bitcoin !== undefined,
        manifest: app.manifestSource,
      })),
    };
    return file;
  }

  private async appFiles(apps: readonly HeldApp[]): Promise<SnapshotAppFiles[]> {
    const { secrets } = this.options;
    return Promise.all(
      apps.map(async (app) => {
        const values: Record<string, string> = {};
        for (const name of await secrets.list(app.id)) {
          const value = await secrets.get(app.id, name);
          if (value !== undefined) values[name] = value;
        }
        return { id: app.id, record: app.record, manifestYaml: app.record.manifestYaml, secrets: values };
      }),
    );
  }

  /** What restic is given, relative to the data dir: what exists of each app's, and the metadata. */
  private async pathsOf(apps: readonly HeldApp[]): Promise<string[]> {
    const root = this.options.layout.root;
    const exists = (path: string) =>
      access(join(root, path)).then(
        () => true,
        () => false,
      );
    const paths: string[] = [];
    for (const app of apps) {
      for (const path of [snapshotPaths.appData(app.id), snapshotPaths.appConfig(app.id)]) {
        if (await exists(path)) paths.push(path);
      }
    }
    return [...paths, snapshotPaths.meta];
  }

  // ---- one job at a time --------------------------------------------------------------------

  private async job<T>(
    kind: BackupProgress['job'],
    apps: string[],
    onProgress: ProgressListener | undefined,
    work: (progress: (change: Partial<BackupProgress>) => void) => Promise<{ value: T; snapshot?: string }>,
  ): Promise<T> {
    const { value } = await this.run(kind, apps, onProgress, work);
    return value;
  }

  private async jobResult(
    kind: BackupProgress['job'],
    apps: string[],
    onProgress: ProgressListener | undefined,
    work: (progress: (change: Partial<BackupProgress>) => void) => Promise<{ value: undefined }>,
  ): Promise<BackupResult> {
    return (await this.run(kind, apps, onProgress, work)).result;
  }

  /** Refuses while another job runs; otherwise runs `work` as the node's one job. */
  private exclusive<T>(kind: BackupProgress['job'], work: () => Promise<T>): Promise<T> {
    this.refuseIfRunning();
    this.running = { job: kind, phase: 'preparing', startedAt: new Date().toISOString() };
    const done = work().finally(() => {
      this.running = undefined;
    });
    this.tail = done.catch(() => undefined);
    return done;
  }

  private refuseIfRunning(): void {
    const running = this.running;
    if (!running) return;
    throw new ArchyError(
      RpcErrorCode.Busy,
      `a backup job is running (${running.job}, ${running.phase}${running.app ? ` ${running.app}` : ''}, since ${running.startedAt}); ` +
        'wait for it to finish (archy backup status) and try again',
    );
  }

  private async run<T>(
    kind: BackupProgress['job'],
    apps: string[],
    onProgress: ProgressListener | undefined,
    work: (progress: (change: Partial<BackupProgress>) => void) => Promise<{ value: T; snapshot?: string }>,
  ): Promise<{ value: T; result: BackupResult }> {
    const startedAt = new Date().toISOString();
    return this.exclusive(kind, async () => {
      // A new phase starts afresh (no app, no percent unless given); a status line within a phase
      // updates what it names.
      const progress = (change: Partial<BackupProgress>) => {
        if (Object.keys(change).length === 0) return;
        const current = this.running;
        const base: BackupProgress =
          change.phase !== undefined && change.phase !== current?.phase
            ? { job: kind, phase: change.phase, startedAt }
            : (current ?? { job: kind, phase: 'preparing', startedAt });
        const next: BackupProgress = { ...base, ...change, job: kind, startedAt };
        this.running = next;
        onProgress?.(next);
        this.options.events?.emit('backup.progress', next);
      };
      progress({ phase: 'preparing' });
      try {
        const { value, snapshot } = await work(progress);
        const result: BackupResult = {
          job: kind,
          ok: true,
          startedAt,
          finishedAt: new Date().toISOString(),
          ...(snapshot && { snapshot }),
          apps,
        };
        progress({ phase: 'done' });
        await this.finish(result);
        return { value, result };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        progress({ phase: 'failed' });
        await this.finish({
          job: kind,
          ok: false,
          startedAt,
          finishedAt: new Date().toISOString(),
          apps,
          message,
        });
        throw error;
      }
    });
  }

  private async finish(result: BackupResult): Promise<void> {
    await this.state
      .recordResult(result)
      .catch((error: unknown) =>
        this.options.log.error({ err: error }, 'could not record how the backup job ended'),
      );
    this.options.events?.emit('backup.finished', result);
    this.options.log[result.ok ? 'info' : 'warn'](
      { job: result.job, apps: result.apps, snapshot: result.snapshot, message: result.message },
      `backup ${result.job} ${result.ok ? 'finished' : 'failed'}`,
    );
  }
}

/** restic's `status` line as progress: percent, bytes done of bytes total. */
function snapshotProgress(message: ResticMessage): Partial<BackupProgress> {
  if (message.message_type !== 'status') return {};
  const fraction = typeof message.percent_done === 'number' ? message.percent_done : undefined;
  return {
    phase: 'snapshot',
    ...(fraction !== undefined && { percent: Math.round(fraction * 1000) / 10 }),
    ...(typeof message.bytes_done === 'number' && { bytesDone: message.bytes_done }),
    ...(typeof message.total_bytes === 'number' && { bytesTotal: message.total_bytes }),
  };
}
