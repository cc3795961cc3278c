// Copies LND's channel.backup into the backup target on every change (README "Backups" →
// "Channel backups"): the one file that lets a Lightning node get its channel funds back after a
// disk loss must not wait for the nightly backup. While LND is installed and a target is set:
//
// - fs.watch on each network folder (LND replaces the file by rename, so the folder is watched,
//   not the file's inode) wakes the watcher at once; a poll every `pollMs` catches what fs.watch
//   misses (a folder made after the watch, a filesystem without inotify, LND installed later).
// - A change is copied after `debounceMs` of quiet (one copy for a burst of rewrites), as its own
//   snapshot (reason `channel-backup`, tag `app:lnd`), then snapshots of that kind beyond the
//   last CHANNEL_BACKUP_KEEP_LAST are forgotten.
// - "Changed" is by content: the SHA-256 of the last copy is kept in backups/schedule-state.json, so a
//   daemon restart copies a file that changed while it was down, and only then.
// - A copy that fails (target unreachable, another job running) is tried again after `retryMs`,
//   its reason kept in schedule-state.json for `archy backup status`.

import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { BackupResult, BackupSnapshotInfo } from '../kernel/index.js';
import { CHANNEL_BACKUP_FILE } from './channel-backup-path.js';
import { CHANNEL_BACKUP_KEEP_LAST } from './backup-service.js';
import type { ScheduleStore } from './schedule-store.js';

/** Channel-backup snapshots forgotten (and pruned) after this many copies. */
export const PRUNE_EVERY = 10;

/** LND's network folders (chainreg: mainnet, testnet, testnet4, signet, regtest, simnet). */
export const LND_NETWORKS = ['mainnet', 'testnet', 'testnet4', 'signet', 'regtest', 'simnet'] as const;

/** Where the installed LND keeps its channel.backup, and the app it belongs to. */
export interface WatchedChannelBackup {
  app: string;
  /** The volume's folder on the host (absolute). */
  volumeDir: string;
  /** Inside the volume: the folder whose subfolders are the networks (`data/chain/bitcoin`). */
  chainDir: string;
}

/**
 * Reads the candidate files (paths relative to `root`) and returns each one's content that exists.
 * The default reads directly; a volume the daemon's user cannot read (LND runs as uid 1000 in the
 * container, so its files belong to a sub-uid) is read through the app-tree helper instead.
 */
export type CandidateReader = (root: string, paths: readonly string[]) => Promise<Map<string, Buffer>>;

export interface ChannelBackupWatcherOptions {
  /** Each installed LND's chain folder; none while LND is not installed. */
  locate: () => Promise<WatchedChannelBackup[]>;
  /** Whether a backup target is set up (no target: nothing to copy to, said once in state). */
  targetSet: () => Promise<boolean>;
  /** Copies one file (absolute path) into the target as its own snapshot (BackupJobs.copyFile). */
  copy: (app: string, file: string) => Promise<BackupSnapshotInfo>;
  /** How to read files the daemon's user cannot (default: directly only). */
  readCandidates?: CandidateReader;
  /** Forgets channel-backup snapshots beyond the newest `keepLast` (every PRUNE_EVERY copies). */
  prune: (keepLast: number) => Promise<unknown>;
  store: ScheduleStore;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  onFinished?: (result: BackupResult) => void;
  pollMs?: number;
  debounceMs?: number;
  retryMs?: number;
}

export class ChannelBackupWatcher {
  private pollTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private readonly watchers = new Map<string, FSWatcher>();
  /** SHA-256 of each file's last copy, by absolute path (mirrors schedule-state.json). */
  private copied: Record<string, string> = {};
  private retryAfter = 0;
  private copiesSincePrune = 0;
  private checking: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private readonly pollMs: number;
  private readonly debounceMs: number;
  private readonly retryMs: number;

  constructor(private readonly options: ChannelBackupWatcherOptions) {
    this.pollMs = options.pollMs ?? 5_000;
    this.debounceMs = options.debounceMs ?? 500;
    this.retryMs = options.retryMs ?? 30_000;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.copied = (await this.options.store.readState()).channelBackup?.digests ?? {};
    this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Resolves when no check or copy is in progress (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.checking) await this.checking;
  }

  private poll(): void {
    if (this.stopped) return;
    this.check();
    this.pollTimer = setTimeout(() => this.poll(), this.pollMs);
    this.pollTimer.unref();
  }

  /** A change seen by fs.watch: check once the writes have settled. */
  private changed(): void {
    if (this.stopped) return;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => this.check(), this.debounceMs);
    this.debounceTimer.unref();
  }

  /** One check at a time; a check asked for while one runs runs right after it. */
  private check(): void {
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = this.checkNow()
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'channel.backup check failed'))
      .finally(() => {
        this.checking = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.check();
        }
      });
  }

  private async checkNow(): Promise<void> {
    const folders = new Set<string>();
    const due: Array<{ app: string; file: string; digest: string }> = [];
    const read = this.options.readCandidates ?? readDirectly;
    for (const watched of await this.options.locate()) {
      const candidates = LND_NETWORKS.map((network) => join(watched.chainDir, network, CHANNEL_BACKUP_FILE));
      for (const [path, content] of await read(watched.volumeDir, candidates)) {
        const file = join(watched.volumeDir, path);
        folders.add(dirname(file));
        const digest = createHash('sha256').update(content).digest('hex');
        if (this.copied[file] !== digest) due.push({ app: watched.app, file, digest });
      }
    }
    this.unwatchAllBut(folders);
    for (const folder of folders) this.watchFolder(folder);
    for (const { app, file, digest } of due) {
      if (Date.now() < this.retryAfter) return;
      await this.copy(app, file, digest);
    }
  }

  private async copy(app: string, file: string, digest: string): Promise<void> {
    const startedAt = new Date();
    if (!(await this.options.targetSet())) {
      await this.record(app, { message: 'no backup target is set up: run archy backup init --to TARGET' });
      this.retryAfter = Date.now() + this.retryMs;
      return;
    }
    try {
      const snapshot = await this.options.copy(app, file);
      this.copied[file] = digest;
      this.retryAfter = 0;
      await this.record(app, { copiedAt: new Date().toISOString(), snapshot: snapshot.id });
      this.options.logger.info(
        { app, file, snapshot: snapshot.shortId },
        'channel.backup copied to the backup target',
      );
      this.finished({ ok: true, startedAt, app, snapshot: snapshot.id });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.retryAfter = Date.now() + this.retryMs;
      await this.record(app, {
        message: `copying channel.backup failed (tried again in ${Math.round(this.retryMs / 1000)} s): ${message}`,
      });
      this.options.logger.warn(
        { err: error, app, file },
        'copying channel.backup failed; trying again later',
      );
      this.finished({ ok: false, startedAt, app, message });
      return;
    }
    // A prune takes the repository's exclusive lock and reads its index: not after every copy of a
    // few KiB. Every PRUNE_EVERY copies here, and at every scheduled backup (its forget applies the
    // channel-backup rule too).
    this.copiesSincePrune += 1;
    if (this.copiesSincePrune < PRUNE_EVERY) return;
    this.copiesSincePrune = 0;
    try {
      await this.options.prune(CHANNEL_BACKUP_KEEP_LAST);
    } catch (error) {
      // The copy is made; an old copy kept a little longer is harmless. Logged, tried after the next copy.
      this.options.logger.warn({ err: error }, 'forgetting old channel.backup snapshots failed');
    }
  }

  private finished(outcome: {
    ok: boolean;
    startedAt: Date;
    app: string;
    snapshot?: string;
    message?: string;
  }): void {
    this.options.onFinished?.({
      job: 'create',
      ok: outcome.ok,
      startedAt: outcome.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      apps: [outcome.app],
      ...(outcome.snapshot !== undefined && { snapshot: outcome.snapshot }),
      ...(outcome.message !== undefined && { message: outcome.message }),
    });
  }

  /** Keeps the last copy's time and digests; a failure keeps the time of the last good copy. */
  private record(
    app: string,
    change: { copiedAt?: string; snapshot?: string; message?: string },
  ): Promise<void> {
    const digests = { ...this.copied };
    return this.options.store.update((file) => {
      const previous = file.channelBackup;
      const kept = previous?.app === app ? previous : undefined;
      return {
        ...file,
        channelBackup: {
          app,
          ...(change.copiedAt === undefined && kept?.copiedAt !== undefined && { copiedAt: kept.copiedAt }),
          ...(change.copiedAt === undefined && kept?.snapshot !== undefined && { snapshot: kept.snapshot }),
          ...(change.copiedAt !== undefined && { copiedAt: change.copiedAt }),
          ...(change.snapshot !== undefined && { snapshot: change.snapshot }),
          ...(change.message !== undefined && { message: change.message }),
          digests,
        },
      };
    });
  }

  private watchFolder(folder: string): void {
    if (this.watchers.has(folder)) return;
    try {
      const watcher = watch(folder, { persistent: false }, (_event, name) => {
        if (name === null || name === CHANNEL_BACKUP_FILE) this.changed();
      });
      // A folder removed under the watch (LND purged): the poll notices and drops it.
      watcher.on('error', () => this.unwatch(folder));
      this.watchers.set(folder, watcher);
    } catch {
      // No inotify here (or the folder just went): the poll still sees every change, later.
    }
  }

  private unwatch(folder: string): void {
    this.watchers.get(folder)?.close();
    this.watchers.delete(folder);
  }

  private unwatchAllBut(keep: Set<string>): void {
    for (const folder of [...this.watchers.keys()]) if (!keep.has(folder)) this.unwatch(folder);
  }
}

/** Each candidate that exists and the daemon's user can read; others are simply absent. */
export async function readDirectly(root: string, paths: readonly string[]): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  for (const path of paths) {
    try {
      found.set(path, await readFile(join(root, path)));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
  }
  return found;
}
