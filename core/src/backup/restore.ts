// `archy backup restore` (README "Restore"): a snapshot back onto this node, or onto a fresh one.
//
// 1. restic restores the whole snapshot into `backups/restore-<job>/snapshot/` (restic checks
//    every blob it reads, `--verify` reads every file back): a wrong key, a damaged pack or a
//    missing target fails here, and nothing of the node has been touched;
// 2. its `archy-backup/backup.json` and records are read and the plan made (restore-plan.ts);
// 3. per app, through the orchestrator's door (restore-apply.ts): old containers removed, old
//    data/secrets/config moved aside, the restored ones moved in (secrets sealed again under this
//    node's master key), installed at the recorded version, started if it was running, old data
//    deleted. The journal `backups/restore-journal.json` is written before each step, so a daemon
//    killed anywhere converges at its next start (recover()).

import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import {
  ArchyError,
  RpcErrorCode,
  type BackupProgress,
  type BackupResult,
  type DaemonEvents,
  type RestorePlanView,
} from '../kernel/index.js';
import type { DataLayout } from '../layout/index.js';
import type { TypedEventBus } from '../util/event-bus.js';
import { removeAppTree } from '../orchestrator/app-data-removal.js';
import type { AppRecord } from '../orchestrator/app-record.js';
import type { PauseHook } from '../orchestrator/test-pause.js';
import type { SecretStore } from '../security/secrets/index.js';
import { normalizeBackupKey } from './backup-key.js';
import type { ProgressListener, RestoreRequest } from './jobs.js';
import { oneLine, RestoreApply, type ManifestSource, type RestoreDoor } from './restore-apply.js';
import { RestoreJournal, RestoreStaging, type RestoreJournalEntry } from './restore-journal.js';
import { planRestore, recoveryActionOf } from './restore-plan.js';
import { readBackupJson, readRecords } from './restore-snapshot.js';
import type { SnapshotSource } from './restore-source.js';

export interface RestoreServiceOptions {
  door: RestoreDoor;
  layout: DataLayout;
  secrets: SecretStore;
  /** Reads the target: which snapshot `latest` is, and restic restore into a folder. */
  source: SnapshotSource;
  /** The node's configured target and kept key, when it has them (a fresh node has neither). */
  configured: () => Promise<{ target?: string; key?: string }>;
  /** Where an installed app's manifest came from (for a roll-back's reinstall of the old app). */
  manifestSourceOf: (record: AppRecord) => ManifestSource;
  /** Where `backup.progress` and `backup.finished` go (the API relays them on /ws). */
  events?: Pick<TypedEventBus<DaemonEvents>, 'emit'>;
  pause: PauseHook;
  log: Logger;
}

export class RestoreService {
  private readonly journal: RestoreJournal;
  private readonly apply: RestoreApply;
  private running = false;

  constructor(private readonly options: RestoreServiceOptions) {
    this.journal = new RestoreJournal(options.layout);
    this.apply = new RestoreApply({
      door: options.door,
      layout: options.layout,
      secrets: options.secrets,
      journal: this.journal,
      pause: options.pause,
      log: options.log,
    });
  }

  /** Which snapshot a restore would use and which installed apps it would replace; changes nothing. */
  async plan(request: RestoreRequest): Promise<RestorePlanView> {
    const access = await this.access(request);
    const snapshot = await this.options.source.resolve(request.snapshot, access);
    const inSnapshot = snapshot.apps;
    const missing = (request.apps ?? []).filter((id) => !inSnapshot.includes(id));
    if (missing.length > 0) {
      throw new ArchyError(
        RpcErrorCode.NotFound,
        `snapshot ${snapshot.shortId} holds no ${missing.map((id) => `'${id}'`).join(', ')} ` +
          `(it holds ${inSnapshot.join(', ') || 'no apps'}); see each snapshot’s apps with: archy backup list`,
      );
    }
    const apps = request.apps && request.apps.length > 0 ? request.apps : inSnapshot;
    const installed = new Set((await this.options.door.list()).map((status) => status.id));
    return { snapshot: snapshot.id, apps, replaces: apps.filter((id) => installed.has(id)) };
  }

  async restore(request: RestoreRequest, onProgress?: ProgressListener): Promise<BackupResult> {
    if (this.running) {
      throw new ArchyError(
        RpcErrorCode.Busy,
        'a restore is already running on this node; wait for it to finish (archy backup status)',
      );
    }
    if (await this.journal.read()) {
      // Nothing runs: an earlier restore stopped half-way (its roll-back or clean-up failed).
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `an interrupted restore is left in ${this.options.layout.backupsDir}; restart archipelagod to ` +
          'finish or roll it back (its log says which), then restore again',
      );
    }
    this.running = true;
    const startedAt = new Date().toISOString();
    const progress = (update: Omit<BackupProgress, 'job' | 'startedAt'>) => {
      const full: BackupProgress = { job: 'restore', startedAt, ...update };
      this.options.events?.emit('backup.progress', full);
      onProgress?.(full);
    };
    const finished = (result: Omit<BackupResult, 'job' | 'startedAt' | 'finishedAt'>) =>
      this.options.events?.emit('backup.finished', {
        job: 'restore',
        startedAt,
        finishedAt: new Date().toISOString(),
        ...result,
      });
    try {
      const access = await this.access(request);
      progress({ phase: 'preparing' });
      const snapshot = await this.options.source.resolve(request.snapshot, access);
      const job = `${startedAt.replace(/[^0-9]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
      const staging = new RestoreStaging(this.options.layout, job);
      // Written before the staging exists: a daemon killed while restic writes finds it and deletes it.
      let entry = await this.journal.write({
        job,
        snapshot: snapshot.id,
        state: 'staging',
        apps: [],
        startedAt,
      });
      try {
        await mkdir(staging.snapshotDir, { recursive: true, mode: 0o700 });
        progress({ phase: 'restoring', percent: 0 });
        await this.options.source.restore(snapshot.id, staging.snapshotDir, access, (done, total) =>
          progress({
            phase: 'restoring',
            bytesDone: done,
            bytesTotal: total,
            ...(total > 0 && { percent: Math.min(100, Math.floor((done / total) * 100)) }),
          }),
        );
        const backup = await readBackupJson(staging.snapshotDir);
        const records = await readRecords(
          staging.snapshotDir,
          backup.apps.map((app) => app.id),
        );
        const planned = planRestore({
          snapshotApps: backup.apps,
          records,
          requested: request.apps ?? [],
          installed: (await this.options.door.list()).map((status) => status.id),
        });
        entry = await this.journal.write({
          ...entry,
          state: 'applying',
          apps: planned.map((app) => ({
            id: app.id,
            step: 'pending',
            replaced: app.replaces,
            // A roll-back reinstalls the old app from its old record: how it was installed is kept now.
          })),
        });
      } catch (error) {
        await this.discard(staging);
        throw error;
      }
      await this.options.pause('restore-staged', job);
      const restored = await this.applyAll(entry, staging, (app) => progress({ phase: 'installing', app }));
      progress({ phase: 'done', percent: 100 });
      finished({ ok: true, snapshot: snapshot.id, apps: restored });
      return {
        job: 'restore',
        ok: true,
        startedAt,
        finishedAt: new Date().toISOString(),
        snapshot: snapshot.id,
        apps: restored,
      };
    } catch (error) {
      progress({ phase: 'failed' });
      finished({ ok: false, apps: request.apps ?? [], message: oneLine(error) });
      throw error;
    } finally {
      this.running = false;
    }
  }

  /**
   * At daemon start, after the boot reconcile: an interrupted restore is finished, or rolled
   * back app by app (restore-plan.ts, recoveryActionOf, says which and why).
   */
  async recover(): Promise<void> {
    const entry = await this.journal.read();
    if (!entry) return;
    const staging = new RestoreStaging(this.options.layout, entry.job);
    if (entry.state === 'staging') {
      this.options.log.warn(
        { job: entry.job },
        'an interrupted restore had not changed the node yet; its staging is deleted',
      );
      await this.discard(staging);
      return;
    }
    this.running = true;
    try {
      this.options.log.warn({ job: entry.job, snapshot: entry.snapshot }, 'finishing an interrupted restore');
      await this.applyAll(entry, staging, () => undefined).catch((error: unknown) =>
        this.options.log.error(
          { err: error },
          `the interrupted restore ended with an error: ${oneLine(error)}`,
        ),
      );
    } finally {
      this.running = false;
    }
  }

  /**
   * Each app to `done`, in order; the first that fails is rolled back (its old data and app back)
   * and so are the ones after it, which are then untouched. Returns the apps restored; throws
   * when one failed, naming it, why, and what was restored before it.
   */
  private async applyAll(
    start: RestoreJournalEntry,
    staging: RestoreStaging,
    onApp: (id: string) => void,
  ): Promise<string[]> {
    let entry = start;
    let failure: { id: string; message: string } | undefined;
    for (const app of start.apps) {
      const current = entry.apps.find((candidate) => candidate.id === app.id)!;
      const action = failure ? 'roll-back' : recoveryActionOf(current);
      if (action === 'nothing') continue;
      if (action === 'finish') {
        try {
          onApp(app.id);
          entry = await this.apply.finish(entry, current, staging);
          continue;
        } catch (error) {
          failure = { id: app.id, message: oneLine(error) };
          this.options.log.warn({ app: app.id, err: error }, 'restore of this app failed; rolling it back');
          entry = await this.journal.advance(
            entry,
            app.id,
            entry.apps.find((a) => a.id === app.id)!.step,
            failure.message,
          );
        }
      }
      const failed = entry.apps.find((candidate) => candidate.id === app.id)!;
      entry = await this.apply.rollBack(entry, failed, staging, this.options.manifestSourceOf);
    }
    await this.discard(staging);
    const restored = entry.apps.filter((app) => app.step === 'done').map((app) => app.id);
    if (failure) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${failure.id}' was not restored: ${failure.message}; its old data and app are back as they were` +
          (restored.length > 0 ? ` (restored: ${restored.join(', ')})` : ''),
      );
    }
    return restored;
  }

  /** The staging and the journal go: last the journal, so a crash here still finds it. */
  private async discard(staging: RestoreStaging): Promise<void> {
    await removeAppTree(staging.root);
    await this.journal.clear();
  }

  /** The target and key: the request's, else this node's own; a fresh node must name both. */
  private async access(request: RestoreRequest): Promise<{ target: string; key: string }> {
    const configured = await this.options.configured();
    const target = request.target ?? configured.target;
    // As typed or filed: case, spaces and dashes do not matter (backup-key.ts).
    const key = request.key !== undefined ? normalizeBackupKey(request.key) : configured.key;
    if (target === undefined) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        'this node has no backup target; name the one to restore from: archy backup restore latest --from TARGET --key-file FILE',
      );
    }
    if (key === undefined) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        'this node does not keep a backup key for that target; give the key archy backup init showed: --key-file FILE (or type it at the prompt)',
      );
    }
    return { target, key };
  }
}
