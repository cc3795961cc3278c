// The daemon's two backup timers, built from its parts (run-daemon.ts starts and stops them): the
// schedule (schedule-runner.ts) and the LND channel.backup watcher (channel-backup-watcher.ts),
// and `backup.status` with what they know (the schedule, the next run, the last channel copy).

import { relative, sep } from 'node:path';
import type { Logger } from 'pino';
import type { BackupScheduleChange, BackupScheduleReport, BackupStatus } from '../kernel/index.js';
import type { DataLayout } from '../layout/index.js';
import { AppRecordStore } from '../orchestrator/app-record.js';
import { runInAppTree } from '../orchestrator/app-tree-client.js';
import { manifestOfRecord } from '../orchestrator/manifest-of-record.js';
import { channelBackupLocation, runsLnd } from './channel-backup-path.js';
import {
  ChannelBackupWatcher,
  readDirectly,
  type CandidateReader,
  type WatchedChannelBackup,
} from './channel-backup-watcher.js';
import type { BackupJobs } from './jobs.js';
import { BackupScheduler, publicSchedule } from './schedule-runner.js';
import { ScheduleStore } from './schedule-store.js';
import { MINUTE_MS } from './schedule-time.js';

/** Test-only: the length of a schedule's minute in ms, so an every-1-minute schedule runs in seconds. */
export const TEST_SCHEDULE_MINUTE_ENV = 'ARCHY_TEST_SCHEDULE_MINUTE_MS';
/** How often the watcher looks at channel.backup besides fs.watch (ms; default 5000). */
export const CHANNEL_BACKUP_POLL_ENV = 'ARCHY_CHANNEL_BACKUP_POLL_MS';

/** channel.backup is a few KiB; anything near this is not LND's file. */
const MAX_CHANNEL_BACKUP_BYTES = 16 * 1024 * 1024;

export interface BackupTimersOptions {
  jobs: BackupJobs;
  layout: DataLayout;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

export class BackupTimers {
  readonly store: ScheduleStore;
  readonly scheduler: BackupScheduler;
  readonly channelBackup: ChannelBackupWatcher;

  constructor(private readonly options: BackupTimersOptions) {
    const env = options.env ?? process.env;
    const { jobs, layout, logger } = options;
    this.store = new ScheduleStore(layout.backupsDir);
    const minuteMs = positiveNumber(env[TEST_SCHEDULE_MINUTE_ENV]);
    if (minuteMs !== undefined)
      logger.warn(`${TEST_SCHEDULE_MINUTE_ENV}=${minuteMs}: a test-only schedule minute`);
    this.scheduler = new BackupScheduler({
      jobs,
      store: this.store,
      logger: logger.child({ part: 'backup-schedule' }),
      minuteMs: minuteMs ?? MINUTE_MS,
    });
    const records = new AppRecordStore(layout);
    this.channelBackup = new ChannelBackupWatcher({
      locate: () => locateChannelBackups(records, layout),
      targetSet: async () => (await jobs.status()).target !== undefined,
      copy: (app, file) => jobs.copyFile(app, relative(layout.appDataDir(app), file)),
      // Channel-backup snapshots beyond the newest 30 (forget's own rule for them; no other retention).
      prune: () => jobs.forget({}),
      readCandidates: readWithHelperFallback,
      store: this.store,
      logger: logger.child({ part: 'channel-backup' }),
      pollMs: positiveNumber(env[CHANNEL_BACKUP_POLL_ENV]) ?? 5_000,
    });
  }

  async start(): Promise<void> {
    await this.scheduler.start();
    await this.channelBackup.start();
  }

  stop(): void {
    this.scheduler.stop();
    this.channelBackup.stop();
  }

  /** `backup.schedule`: changes the schedule (the fields given) and reports it. */
  change(change: BackupScheduleChange): Promise<BackupScheduleReport> {
    return this.scheduler.change(change);
  }

  /** `backup.status`: the jobs' status with the schedule, its next run and the last channel copy. */
  async status(): Promise<BackupStatus> {
    const [status, schedule, state] = await Promise.all([
      this.options.jobs.status(),
      this.store.readSchedule(),
      this.store.readState(),
    ]);
    const channel = state.channelBackup;
    return {
      ...status,
      ...(schedule && { schedule: publicSchedule(schedule) }),
      ...(schedule?.enabled && state.schedule?.nextRun !== undefined && { nextRun: state.schedule.nextRun }),
      ...(channel && {
        channelBackup: {
          app: channel.app,
          ...(channel.copiedAt !== undefined && { copiedAt: channel.copiedAt }),
          ...(channel.message !== undefined && { message: channel.message }),
        },
      }),
    };
  }
}

/** Each installed LND's volume and chain folder, from the manifest it runs. */
async function locateChannelBackups(
  records: AppRecordStore,
  layout: DataLayout,
): Promise<WatchedChannelBackup[]> {
  const found: WatchedChannelBackup[] = [];
  for (const record of await records.loadAll()) {
    const manifest = manifestOfRecord(record);
    if (!runsLnd(manifest)) continue;
    const location = channelBackupLocation(manifest);
    if (!location) continue;
    const volumeDir = layout.volumeDir(record.id, location.volume);
    // copyFile takes a path inside the app's data dir; an adopted volume bound elsewhere is not.
    const inside = relative(layout.appDataDir(record.id), volumeDir);
    if (inside === '..' || inside.startsWith(`..${sep}`)) continue;
    found.push({ app: record.id, volumeDir, chainDir: location.chainDir });
  }
  return found;
}

/**
 * Reads directly when the daemon's user may; LND's files belong to a sub-uid (it runs as 1000 in
 * its container), so a refusal falls back to the app-tree helper in the user namespace, which never
 * follows a link.
 */
const readWithHelperFallback: CandidateReader = async (root, paths) => {
  try {
    return await readDirectly(root, paths);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
  }
  const reply = await runInAppTree({
    op: 'read',
    root,
    files: paths.map((path) => ({ path, maxBytes: MAX_CHANNEL_BACKUP_BYTES })),
    dirs: [],
    firstNames: [],
  });
  if (!reply.ok) throw new Error(reply.message);
  const found = new Map<string, Buffer>();
  if ('files' in reply) {
    for (const [path, file] of Object.entries(reply.files)) found.set(path, Buffer.from(file.data, 'base64'));
  }
  return found;
};

function positiveNumber(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
