import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTiming, dueAt, nextRunAfter, parseAt, parseEvery } from './schedule-time.js';

// Local-time rules need a zone with DST; Node reads TZ again when it changes.
const savedTz = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'Europe/Berlin';
});
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe('parseEvery / parseAt', () => {
  it('reads minutes, hours, days and daily', () => {
    expect(parseEvery('6h')).toEqual({ every: 360 });
    expect(parseEvery('30m')).toEqual({ every: 30 });
    expect(parseEvery('15')).toEqual({ every: 15 });
    expect(parseEvery('1d')).toEqual({ every: 1440 });
    expect(parseEvery('daily')).toEqual({});
  });
  it('refuses what is not an interval or a time, saying the form', () => {
    expect(() => parseEvery('0h')).toThrow(/--every 6h/);
    expect(() => parseEvery('soon')).toThrow(/not an interval/);
    expect(() => parseAt('24:00')).toThrow(/HH:MM/);
    expect(() => parseAt('3.30')).toThrow(/HH:MM/);
    expect(parseAt('03:30')).toEqual({ hour: 3, minute: 30 });
  });
});

describe('nextRunAfter: every N minutes', () => {
  it('is N minutes after the last run, in elapsed time across a DST change', () => {
    // 2026-03-29 01:30 CET; +60 min of real time is 03:30 CEST on the wall clock.
    const since = new Date('2026-03-29T00:30:00Z');
    expect(nextRunAfter({ every: 60 }, since).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
  it('takes a shorter minute (test-only) when given one', () => {
    const since = new Date('2026-01-01T00:00:00Z');
    expect(nextRunAfter({ every: 1 }, since, 500).getTime()).toBe(since.getTime() + 500);
  });
});

describe('nextRunAfter: daily at HH:MM local time', () => {
  it('is today when the time is still ahead, tomorrow when it has passed', () => {
    const morning = new Date(2026, 5, 10, 1, 0);
    expect(nextRunAfter({ at: '03:30' }, morning)).toEqual(new Date(2026, 5, 10, 3, 30));
    const later = new Date(2026, 5, 10, 3, 30); // exactly at the time: that run is the last one
    expect(nextRunAfter({ at: '03:30' }, later)).toEqual(new Date(2026, 5, 11, 3, 30));
  });
  it('crosses month and year ends, and leap days', () => {
    expect(nextRunAfter({ at: '03:30' }, new Date(2026, 0, 31, 4, 0))).toEqual(new Date(2026, 1, 1, 3, 30));
    expect(nextRunAfter({ at: '03:30' }, new Date(2026, 3, 30, 23, 59))).toEqual(new Date(2026, 4, 1, 3, 30));
    expect(nextRunAfter({ at: '00:00' }, new Date(2026, 11, 31, 0, 0))).toEqual(new Date(2027, 0, 1, 0, 0));
    expect(nextRunAfter({ at: '03:30' }, new Date(2028, 1, 28, 12, 0))).toEqual(new Date(2028, 1, 29, 3, 30));
    expect(nextRunAfter({ at: '03:30' }, new Date(2027, 1, 28, 12, 0))).toEqual(new Date(2027, 2, 1, 3, 30));
  });
  it('on a spring-forward day runs once, after the gap, for a time the clock skips', () => {
    // Europe/Berlin 2026-03-29: 02:00 CET → 03:00 CEST; 02:30 does not exist.
    const next = nextRunAfter({ at: '02:30' }, new Date('2026-03-28T02:00:00Z'));
    expect(next.toISOString()).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    // After that run, the next is the following day's 02:30 CEST.
    expect(nextRunAfter({ at: '02:30' }, next).toISOString()).toBe('2026-03-30T00:30:00.000Z');
  });
  it('on a fall-back day runs once, at the first of the two HH:MMs', () => {
    // Europe/Berlin 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 happens twice.
    const first = nextRunAfter({ at: '02:30' }, new Date('2026-10-24T12:00:00Z'));
    expect(first.toISOString()).toBe('2026-10-25T00:30:00.000Z'); // 02:30 CEST
    const second = nextRunAfter({ at: '02:30' }, first);
    expect(second.toISOString()).toBe('2026-10-26T01:30:00.000Z'); // next day 02:30 CET, not 01:30Z today
  });
  it('keeps the wall-clock time across the change (23 and 25 hour days)', () => {
    const before = nextRunAfter({ at: '12:00' }, new Date(2026, 2, 28, 12, 0));
    expect(before).toEqual(new Date(2026, 2, 29, 12, 0));
    expect(before.getTime() - new Date(2026, 2, 28, 12, 0).getTime()).toBe(23 * 3600_000);
  });
});

describe('dueAt: a run missed while the node was off', () => {
  it('is due at once, a single time, then counted from that run', () => {
    const lastRun = new Date(2026, 5, 1, 3, 30);
    const start = new Date(2026, 5, 4, 9, 0); // three runs missed
    expect(dueAt({ at: '03:30' }, lastRun, start)).toEqual(start);
    expect(dueAt({ at: '03:30' }, start, start)).toEqual(new Date(2026, 5, 5, 3, 30));
    expect(dueAt({ every: 360 }, lastRun, start)).toEqual(start);
  });
  it('is the computed time when it is still ahead', () => {
    const lastRun = new Date('2026-06-01T00:00:00Z');
    const now = new Date('2026-06-01T01:00:00Z');
    expect(dueAt({ every: 120 }, lastRun, now).toISOString()).toBe('2026-06-01T02:00:00.000Z');
  });
});

describe('describeTiming', () => {
  it('says it in words', () => {
    expect(describeTiming({ every: 360 })).toBe('every 6 hours');
    expect(describeTiming({ every: 1 })).toBe('every minute');
    expect(describeTiming({ every: 1440 })).toBe('every day');
    expect(describeTiming({ at: '03:30' })).toBe('daily at 03:30 (local time)');
  });
});
