// The daemon's backup timer (README "Backups" → "Schedule"): at each due time it runs a backup
// (`create`, reason `schedule`) and then `forget --prune` with the schedule's retention, and keeps
// the outcome and the next run in backups/schedule-state.json. The times come from schedule-time.ts.
//
// - A run missed while the node was off runs once at the next start (dueAt).
// - A due run that meets another backup job (a manual backup, a verify, a restore) waits: it is
//   tried again every `busyRetryMs` until that job ends, with the reason logged and kept in
//   schedule-state.json (`skipped`). It never runs beside another job: restic's repository lock and the
//   apps' brief stops are one job's at a time.
// - A crash during a run leaves lastRunAt at the run before, so the next start runs it again.

import type { Logger } from 'pino';
import type {
  BackupResult,
  BackupRetention,
  BackupSchedule,
  BackupScheduleChange,
  BackupScheduleReport,
} from '../kernel/index.js';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import type { BackupJobs, ProgressListener } from './jobs.js';
import { DEFAULT_DAILY_AT, describeTiming, dueAt, MINUTE_MS, parseAt } from './schedule-time.js';
import type { ScheduleStore, StoredSchedule } from './schedule-store.js';

/** What a schedule keeps when the user names no retention: a week of days, a month of weeks, a year of months. */
export const DEFAULT_RETENTION: BackupRetention = { keepDaily: 7, keepWeekly: 4, keepMonthly: 12 };

/** Longest single wait of the timer: longer waits are re-armed (setTimeout's limit is ~24.8 days). */
const MAX_TIMER_MS = 6 * 60 * MINUTE_MS;

export interface BackupSchedulerOptions {
  jobs: Pick<BackupJobs, 'create' | 'forget' | 'status'>;
  store: ScheduleStore;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Each scheduled run's outcome (the daemon relays it as WebSocket `backup.finished`). */
  onFinished?: (result: BackupResult) => void;
  onProgress?: ProgressListener;
  now?: () => Date;
  /** Length of a minute; shorter only in tests (ARCHY_TEST_SCHEDULE_MINUTE_MS). */
  minuteMs?: number;
  /** How long a due run waits for a running job before trying again. */
  busyRetryMs?: number;
}

export class BackupScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => Date;
  private readonly minuteMs: number;
  private readonly busyRetryMs: number;

  constructor(private readonly options: BackupSchedulerOptions) {
    this.now = options.now ?? (() => new Date());
    this.minuteMs = options.minuteMs ?? MINUTE_MS;
    this.busyRetryMs = options.busyRetryMs ?? Math.min(MINUTE_MS, this.minuteMs);
  }

  /** Arms the timer from the stored schedule; a run missed while the node was off is due now. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.arm();
  }

  /** Ends the timer. A run in progress finishes on its own (its restic child ends with the daemon). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async report(): Promise<BackupScheduleReport> {
    const stored = await this.options.store.readSchedule();
    const state = (await this.options.store.readState()).schedule ?? {};
    return {
      schedule: stored ? publicSchedule(stored) : null,
      ...(stored?.enabled && state.nextRun !== undefined && { nextRun: state.nextRun }),
      ...(state.lastResult !== undefined && { last: state.lastResult }),
      ...(state.skipped !== undefined && { skipped: state.skipped }),
    };
  }

  /** Changes the schedule (the fields given) and re-arms the timer; no fields: only reports. */
  async change(change: BackupScheduleChange): Promise<BackupScheduleReport> {
    if (Object.keys(change).length > 0) {
      const stored = await this.options.store.readSchedule();
      const next = applyChange(stored, change, this.now());
      await this.options.store.writeSchedule(next);
      this.options.logger.info(
        { schedule: publicSchedule(next) },
        next.enabled ? `backup schedule set: ${describeTiming(next)}` : 'backup schedule turned off',
      );
      await this.arm();
    }
    return this.report();
  }

  /** The next run from the stored schedule and state, written to schedule-state.json, and the timer set to it. */
  private async arm(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    const stored = await this.options.store.readSchedule();
    if (!stored?.enabled) {
      await this.options.store.update(({ schedule, ...rest }) => {
        const { nextRun: _dropped, ...kept } = schedule ?? {};
        return { ...rest, schedule: kept };
      });
      return;
    }
    const state = (await this.options.store.readState()).schedule ?? {};
    // A schedule set after the last run counts from when it was set (a new interval starts then).
    const since = latest(state.lastRunAt, stored.setAt);
    const now = this.now();
    const due = dueAt(stored, since, now, this.minuteMs);
    await this.options.store.update((file) => ({
      ...file,
      schedule: { ...file.schedule, nextRun: due.toISOString() },
    }));
    this.wakeAt(due);
  }

  private wakeAt(due: Date): void {
    if (this.stopped) return;
    const wait = Math.max(0, due.getTime() - this.now().getTime());
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (wait > MAX_TIMER_MS) void this.arm().catch((error: unknown) => this.failedToArm(error));
        else this.running = this.runDue().finally(() => (this.running = undefined));
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    this.timer.unref();
  }

  /** For tests and shutdown: resolves when no scheduled run is in progress. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async runDue(): Promise<void> {
    try {
      const stored = await this.options.store.readSchedule();
      if (!stored?.enabled || this.stopped) return;
      const busy = (await this.options.jobs.status()).running;
      if (busy) {
        await this.waitForJob(`a ${busy.job} job is running (${busy.phase})`);
        return;
      }
      await this.runOnce(stored);
      await this.arm();
    } catch (error) {
      this.failedToArm(error);
    }
  }

  private async waitForJob(reason: string): Promise<void> {
    const at = this.now();
    this.options.logger.warn(`scheduled backup waits: ${reason}; trying again in ${this.busyRetryMs} ms`);
    await this.options.store.update((file) => ({
      ...file,
      schedule: { ...file.schedule, skipped: { at: at.toISOString(), reason } },
    }));
    this.wakeAt(new Date(at.getTime() + this.busyRetryMs));
  }

  private async runOnce(schedule: StoredSchedule): Promise<void> {
    const startedAt = this.now();
    let result: BackupResult;
    try {
      const snapshot = await this.options.jobs.create(
        {
          reason: 'schedule',
          includeChain: schedule.includeChain,
          ...(schedule.apps && schedule.apps.length > 0 && { apps: schedule.apps }),
        },
        this.options.onProgress,
      );
      result = {
        job: 'create',
        ok: true,
        startedAt: startedAt.toISOString(),
        finishedAt: this.now().toISOString(),
        snapshot: snapshot.id,
        apps: snapshot.apps.map((app) => app.id),
      };
      this.options.logger.info({ snapshot: snapshot.shortId }, 'scheduled backup made');
    } catch (error) {
      if (isBusy(error)) {
        // Another job started between the look at status and create: wait for it like above.
        await this.waitForJob((error as Error).message);
        throw new RetryLater();
      }
      result = failure('create', startedAt, this.now(), schedule.apps ?? [], error);
      this.options.logger.error({ err: error }, `scheduled backup failed: ${result.message}`);
    }
    if (result.ok && hasRetention(schedule.retention)) {
      const pruned = await this.prune(schedule.retention);
      // The backup itself is made; a failed prune is what the user needs to see and act on.
      if (!pruned.ok) result = { ...pruned, snapshot: result.snapshot, apps: result.apps };
    }
    await this.options.store.update((file) => {
      const { skipped: _cleared, ...rest } = file.schedule ?? {};
      return { ...file, schedule: { ...rest, lastRunAt: startedAt.toISOString(), lastResult: result } };
    });
    this.options.onFinished?.(result);
  }

  private async prune(retention: BackupRetention): Promise<BackupResult> {
    const startedAt = this.now();
    try {
      return await this.options.jobs.forget(retention);
    } catch (error) {
      const result = failure('prune', startedAt, this.now(), [], error);
      this.options.logger.error({ err: error }, `pruning old backups failed: ${result.message}`);
      return result;
    }
  }

  private failedToArm(error: unknown): void {
    if (error instanceof RetryLater) return;
    this.options.logger.error(
      { err: error },
      'the backup schedule could not be armed; set it again with archy backup schedule',
    );
  }
}

class RetryLater extends Error {}

function isBusy(error: unknown): boolean {
  return error instanceof ArchyError && error.code === RpcErrorCode.Busy;
}

function failure(
  job: BackupResult['job'],
  startedAt: Date,
  finishedAt: Date,
  apps: string[],
  error: unknown,
): BackupResult {
  return {
    job,
    ok: false,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    apps,
    message: error instanceof Error ? error.message : String(error),
  };
}

function hasRetention(retention: BackupRetention): boolean {
  return Object.values(retention).some((keep) => typeof keep === 'number' && keep > 0);
}

function latest(a: string | undefined, b: string): Date {
  const times = [a, b].filter((t): t is string => t !== undefined).map((t) => new Date(t).getTime());
  return new Date(Math.max(...times));
}

/** The schedule as the API shows it (without the store's bookkeeping). */
export function publicSchedule(stored: StoredSchedule): BackupSchedule {
  const { setAt: _setAt, ...schedule } = stored;
  return schedule;
}

/** The stored schedule after a change: the fields given replace the old ones; setting turns it on. */
export function applyChange(
  stored: StoredSchedule | undefined,
  change: BackupScheduleChange,
  now: Date,
): StoredSchedule {
  if (change.at !== undefined) parseAt(change.at);
  if (change.at !== undefined && typeof change.every === 'number') {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      '--at is the time of a daily backup; use --every daily --at HH:MM, or --every alone for an interval',
    );
  }
  const base: StoredSchedule = stored ?? {
    enabled: true,
    at: DEFAULT_DAILY_AT,
    includeChain: false,
    retention: DEFAULT_RETENTION,
    setAt: now.toISOString(),
  };
  const timingChanged = change.every !== undefined || change.at !== undefined;
  let every = base.every;
  let at = base.at;
  if (change.every === null || (change.at !== undefined && change.every === undefined)) {
    every = undefined;
    at = change.at ?? base.at ?? DEFAULT_DAILY_AT;
  } else if (typeof change.every === 'number') {
    every = change.every;
    at = undefined;
  }
  const merged = { ...base.retention, ...change.retention };
  const retention = Object.fromEntries(
    Object.entries(merged).filter(([, keep]) => typeof keep === 'number' && keep > 0),
  ) as BackupRetention;
  const apps = change.apps ?? base.apps;
  return {
    enabled: change.enabled ?? true,
    ...(every !== undefined && { every }),
    ...(at !== undefined && { at }),
    ...(apps !== undefined && apps.length > 0 && { apps }),
    includeChain: change.includeChain ?? base.includeChain,
    retention,
    // A new timing (or turning it back on) starts counting now; other edits keep the rhythm.
    setAt:
      timingChanged || (change.enabled === true && !base.enabled) || !stored ? now.toISOString() : base.setAt,
  };
}
