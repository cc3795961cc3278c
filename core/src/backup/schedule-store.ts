// Where the schedule and its outcomes live (README "Data layout"):
// - `backups/schedule.json`: the schedule as the user set it (`archy backup schedule …`), and
//   when they set it (the first run of an every-N schedule is N after that).
// - `backups/schedule-state.json`: what happened: the last scheduled run (its start and result),
//   the next run, and when LND's channel.backup was last copied. A file of its own, not the jobs'
//   `state.json` (backup-state.ts): two stores writing one file on two queues could lose a field.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { BackupResult, BackupSchedule } from '../kernel/index.js';
import { JsonFile, type JsonFormat } from '../util/json-store.js';

export interface StoredSchedule extends BackupSchedule {
  /** ISO time the user last set the schedule. */
  setAt: string;
}

const retentionSchema = z.object({
  keepLast: z.number().int().min(1).optional(),
  keepDaily: z.number().int().min(1).optional(),
  keepWeekly: z.number().int().min(1).optional(),
  keepMonthly: z.number().int().min(1).optional(),
});

const storedScheduleSchema = z.object({
  enabled: z.boolean(),
  every: z.number().int().min(1).optional(),
  at: z
    .string()
    .regex(/^\d{1,2}:\d{2}$/)
    .optional(),
  apps: z.array(z.string()).optional(),
  includeChain: z.boolean(),
  retention: retentionSchema,
  setAt: z.string(),
}) satisfies z.ZodType<StoredSchedule>;

const SCHEDULE_FORMAT: JsonFormat<StoredSchedule> = {
  what: 'backup schedule',
  schema: storedScheduleSchema,
  version: 1,
};

const resultSchema = z.object({
  job: z.enum(['create', 'verify', 'restore', 'prune']),
  ok: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  snapshot: z.string().optional(),
  apps: z.array(z.string()),
  message: z.string().optional(),
}) satisfies z.ZodType<BackupResult>;

/** What `backups/schedule-state.json` says of the schedule. */
export interface ScheduleState {
  /** When the last scheduled run started: the next is counted from it. */
  lastRunAt?: string;
  /** How the last scheduled run ended (the backup, or its prune when that failed). */
  lastResult?: BackupResult;
  nextRun?: string;
  /** Why the last due run did not start (a job was running, no target). */
  skipped?: { at: string; reason: string };
}

export interface ChannelBackupState {
  app: string;
  copiedAt?: string;
  /** The snapshot that holds the last copy. */
  snapshot?: string;
  /** Why the last copy failed, with what to do. */
  message?: string;
  /** SHA-256 of each file's last copy, by path: a file is copied again only when it differs. */
  digests?: Record<string, string>;
}

export interface ScheduleStateFile {
  schedule?: ScheduleState;
  channelBackup?: ChannelBackupState;
  [other: string]: unknown;
}

const stateSchema = z
  .object({
    schedule: z
      .object({
        lastRunAt: z.string().optional(),
        lastResult: resultSchema.optional(),
        nextRun: z.string().optional(),
        skipped: z.object({ at: z.string(), reason: z.string() }).optional(),
      })
      .optional(),
    channelBackup: z
      .object({
        app: z.string(),
        copiedAt: z.string().optional(),
        snapshot: z.string().optional(),
        message: z.string().optional(),
        digests: z.record(z.string(), z.string()).optional(),
      })
      .optional(),
  })
  .catchall(z.unknown()) satisfies z.ZodType<ScheduleStateFile>;

const STATE_FORMAT: JsonFormat<ScheduleStateFile> = {
  what: 'backup schedule state',
  schema: stateSchema,
  version: 1,
  mode: 0o600,
};

export class ScheduleStore {
  private readonly scheduleFile: JsonFile<StoredSchedule>;
  private readonly stateFile: JsonFile<ScheduleStateFile>;
  // One writer at a time for schedule-state.json: the schedule and the channel-backup watcher both update it.
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly backupsDir: string) {
    this.scheduleFile = new JsonFile(join(backupsDir, 'schedule.json'), SCHEDULE_FORMAT);
    this.stateFile = new JsonFile(join(backupsDir, 'schedule-state.json'), STATE_FORMAT);
  }

  readSchedule(): Promise<StoredSchedule | undefined> {
    return this.scheduleFile.read();
  }

  async writeSchedule(schedule: StoredSchedule): Promise<void> {
    await mkdir(this.backupsDir, { recursive: true, mode: 0o700 });
    await this.scheduleFile.write(schedule);
  }

  async readState(): Promise<ScheduleStateFile> {
    return (await this.stateFile.read()) ?? {};
  }

  /** Read-modify-write of this store's keys, one update at a time (other keys are kept). */
  update(change: (state: ScheduleStateFile) => ScheduleStateFile): Promise<void> {
    const next = this.writes.then(async () => {
      const state = await this.readState();
      await mkdir(this.backupsDir, { recursive: true, mode: 0o700 });
      await this.stateFile.write(change(state));
    });
    this.writes = next.catch(() => undefined);
    return next;
  }
}
