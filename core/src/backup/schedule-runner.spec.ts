import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchyError, RpcErrorCode, type BackupProgress, type BackupRetention } from '../kernel/index.js';
import type { CreateBackupRequest } from './jobs.js';
import { applyChange, BackupScheduler, DEFAULT_RETENTION } from './schedule-runner.js';
import { ScheduleStore } from './schedule-store.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const NOW = new Date('2026-06-01T10:00:00Z');

describe('applyChange', () => {
  it('starts daily at 03:00 with the default retention, and turns on when set', () => {
    const set = applyChange(undefined, { includeChain: true }, NOW);
    expect(set).toEqual({
      enabled: true,
      at: '03:00',
      includeChain: true,
      retention: DEFAULT_RETENTION,
      setAt: NOW.toISOString(),
    });
  });
  it('switches between an interval and a daily time; retention keys merge, 0 removes one', () => {
    const every = applyChange(undefined, { every: 360, retention: { keepLast: 5, keepMonthly: 0 } }, NOW);
    expect(every).toMatchObject({ every: 360, retention: { keepLast: 5, keepDaily: 7, keepWeekly: 4 } });
    expect(every.at).toBeUndefined();
    const daily = applyChange(every, { at: '04:15' }, NOW);
    expect(daily.every).toBeUndefined();
    expect(daily.at).toBe('04:15');
    expect(applyChange(daily, { enabled: false }, NOW).enabled).toBe(false);
  });
  it('refuses --at with an interval, and a bad time', () => {
    expect(() => applyChange(undefined, { every: 60, at: '03:00' }, NOW)).toThrow(/daily/);
    expect(() => applyChange(undefined, { at: '25:00' }, NOW)).toThrow(/HH:MM/);
  });
});

describe('BackupScheduler', () => {
  let dir: string;
  let scheduler: BackupScheduler | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archy-schedule-'));
  });
  afterEach(async () => {
    scheduler?.stop();
    await scheduler?.idle();
    await rm(dir, { recursive: true, force: true });
  });

  /** A stand-in for the restic jobs: records what the scheduler asked for. */
  function jobs(options: { running?: () => BackupProgress | undefined; fail?: boolean } = {}) {
    const calls: Array<CreateBackupRequest | BackupRetention> = [];
    return {
      calls,
      create: async (request: CreateBackupRequest) => {
        calls.push(request);
        if (options.fail) throw new ArchyError(RpcErrorCode.NotFound, 'the target is gone: plug in the disk');
        return {
          id: 'a'.repeat(64),
          shortId: 'aaaaaaaa',
          time: '',
          apps: [{ id: 'hello', version: '1' }],
          reason: 'schedule' as const,
          includesChain: false,
        };
      },
      forget: async (retention: BackupRetention) => {
        calls.push(retention);
        return { job: 'prune' as const, ok: true, startedAt: '', finishedAt: '', apps: [] };
      },
      status: async () => ({
        keyConfirmed: true,
        ...(options.running?.() && { running: options.running() }),
      }),
    };
  }

  it('runs at each interval, prunes with the retention, and records last and next', async () => {
    const store = new ScheduleStore(dir);
    const fake = jobs();
    const finished: boolean[] = [];
    scheduler = new BackupScheduler({
      jobs: fake,
      store,
      logger: quiet,
      minuteMs: 200,
      onFinished: (r) => finished.push(r.ok),
    });
    await scheduler.start();
    const report = await scheduler.change({ every: 1, retention: { keepLast: 2 } });
    expect(report.schedule).toMatchObject({ enabled: true, every: 1 });
    expect(report.nextRun).toBeDefined();
    await expect.poll(() => finished.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(fake.calls[0]).toEqual({ reason: 'schedule', includeChain: false });
    expect(fake.calls[1]).toEqual({ keepLast: 2, keepDaily: 7, keepWeekly: 4, keepMonthly: 12 });
    const after = await scheduler.report();
    expect(after.last).toMatchObject({ job: 'create', ok: true, snapshot: 'a'.repeat(64), apps: ['hello'] });
    const state = JSON.parse(await readFile(join(dir, 'schedule-state.json'), 'utf8'));
    expect(state.schedule.lastRunAt).toBeDefined();
  });

  it('runs a run missed while the node was off once, at start', async () => {
    const store = new ScheduleStore(dir);
    await store.writeSchedule({
      ...applyChange(undefined, { every: 60 }, new Date(Date.now() - 5 * 3600_000)),
    });
    const fake = jobs();
    scheduler = new BackupScheduler({ jobs: fake, store, logger: quiet });
    await scheduler.start();
    await expect.poll(() => fake.calls.length, { timeout: 5000 }).toBe(2); // create + forget
    await scheduler.idle();
    const report = await scheduler.report();
    // Counted from that run: an hour after it, not another run at once for each one missed.
    expect(new Date(report.nextRun!).getTime()).toBeGreaterThan(Date.now() + 59 * 60_000);
  });

  it('waits while another job runs, with the reason kept', async () => {
    const store = new ScheduleStore(dir);
    let busy = true;
    const fake = jobs({
      running: () => (busy ? { job: 'verify', phase: 'verifying', startedAt: '' } : undefined),
    });
    scheduler = new BackupScheduler({ jobs: fake, store, logger: quiet, minuteMs: 100, busyRetryMs: 100 });
    await scheduler.start();
    await scheduler.change({ every: 1 });
    await expect
      .poll(async () => (await scheduler!.report()).skipped?.reason, { timeout: 5000 })
      .toMatch(/verify job is running/);
    expect(fake.calls).toEqual([]);
    busy = false;
    await expect.poll(() => fake.calls.length, { timeout: 5000 }).toBeGreaterThan(0);
  });

  it('records a failed backup with its reason and does not prune', async () => {
    const store = new ScheduleStore(dir);
    const fake = jobs({ fail: true });
    scheduler = new BackupScheduler({ jobs: fake, store, logger: quiet, minuteMs: 100 });
    await scheduler.start();
    await scheduler.change({ every: 1 });
    await expect
      .poll(async () => (await scheduler!.report()).last?.message, { timeout: 5000 })
      .toMatch(/plug in the disk/);
    expect(fake.calls.every((c) => 'reason' in c)).toBe(true);
  });
});
