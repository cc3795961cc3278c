import { describe, expect, it } from 'vitest';
import { describeReport, scheduleChange } from './backup-schedule.js';

const base = { dataDir: '/d', json: false };

describe('scheduleChange', () => {
  it('is empty without flags (show only)', () => {
    expect(scheduleChange([], base)).toEqual({});
  });
  it('reads an interval, a daily time, retention, chain and apps', () => {
    expect(
      scheduleChange(['lnd', 'hello'], {
        ...base,
        every: '6h',
        keepLast: '3',
        keepMonthly: '0',
        includeChain: true,
      }),
    ).toEqual({
      every: 360,
      retention: { keepLast: 3, keepMonthly: 0 },
      includeChain: true,
      apps: ['lnd', 'hello'],
    });
    expect(scheduleChange([], { ...base, every: 'daily', at: '03:30' })).toEqual({
      every: null,
      at: '03:30',
    });
    expect(scheduleChange([], { ...base, off: true })).toEqual({ enabled: false });
  });
  it('refuses a bad count and --off with a time, saying what to do', () => {
    expect(() => scheduleChange([], { ...base, keepDaily: 'seven' })).toThrow(
      /--keep-daily takes a whole number/,
    );
    expect(() => scheduleChange([], { ...base, off: true, every: '6h' })).toThrow(/leave out/);
  });
});

describe('describeReport', () => {
  it('says when there is no schedule and how to set one', () => {
    expect(describeReport({ schedule: null })).toMatch(/archy backup schedule --every daily/);
  });
  it('shows the timing, apps, retention, next and last run', () => {
    const text = describeReport({
      schedule: { enabled: true, every: 360, includeChain: false, retention: { keepLast: 3 } },
      nextRun: '2026-06-01T06:00:00.000Z',
      last: {
        job: 'create',
        ok: false,
        startedAt: '',
        finishedAt: '2026-06-01T00:00:00.000Z',
        apps: [],
        message: 'the target is gone',
      },
    });
    expect(text).toContain('every 6 hours');
    expect(text).toContain('every installed app');
    expect(text).toContain('last 3');
    expect(text).toContain('2026-06-01T06:00:00.000Z');
    expect(text).toMatch(/FAILED .* — the target is gone/);
  });
});
