// When a scheduled backup runs next (README "Backups" → "Schedule"). Pure: the time now, the
// schedule and when the last scheduled run started go in, one instant comes out, so the rules
// for daylight-saving changes, month ends and runs missed while the node was off are unit-tested
// without waiting on a clock.
//
// Two kinds of schedule:
// - every N minutes: N minutes after the last run started (or after the schedule was set, before
//   its first run). Plain elapsed time, so a DST change neither adds nor drops a run.
// - daily at HH:MM, the node's local time: the first HH:MM on the wall clock after the last run.
//   On a spring-forward day HH:MM may not exist (02:30 in Europe/Berlin on the last Sunday of
//   March): the run is at the same distance after the gap (03:30), as JavaScript's Date resolves
//   it — once, that day. On a fall-back day HH:MM happens twice: the run is at the first one and
//   not again at the second, because the next run is looked for strictly after the last.
//
// A run missed while the node was off (the computed time is already past at the start) is due at
// once — one run, however many were missed, since the next is counted from that run.

import { ArchyError, RpcErrorCode } from '../kernel/index.js';

export const MINUTE_MS = 60_000;

/** `6h`, `30m`, `90` (minutes), `1d` → minutes; `daily` → undefined (a daily schedule). */
export function parseEvery(text: string): { every?: number } {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'daily') return {};
  const match = /^(\d+)\s*(m|min|h|d)?$/.exec(trimmed);
  const amount = match ? Number(match[1]) : NaN;
  if (!match || !Number.isSafeInteger(amount) || amount < 1) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `'${text}' is not an interval: use e.g. --every 30m, --every 6h, --every 1d or --every daily`,
    );
  }
  const unit = match[2] ?? 'm';
  const minutes = unit === 'h' ? amount * 60 : unit === 'd' ? amount * 24 * 60 : amount;
  return { every: minutes };
}

/** `03:30` → {hour: 3, minute: 30}; anything else is refused with the expected form. */
export function parseAt(text: string): { hour: number; minute: number } {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  const hour = match ? Number(match[1]) : NaN;
  const minute = match ? Number(match[2]) : NaN;
  if (!match || hour > 23 || minute > 59) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `'${text}' is not a time of day: use HH:MM on a 24-hour clock, e.g. --at 03:30`,
    );
  }
  return { hour, minute };
}

/** How a schedule says when: every N minutes, or daily at a local time. */
export interface ScheduleTiming {
  /** Minutes between runs; absent: daily at `at`. */
  every?: number;
  /** `HH:MM`, local time; used when `every` is absent. */
  at?: string;
}

/** The default time of a daily schedule given without `--at`. */
export const DEFAULT_DAILY_AT = '03:00';

/**
 * The next run after `since` (the start of the last scheduled run, or when the schedule was set,
 * before its first run). `minuteMs` is the length of a minute: 60 000 except in tests, which may
 * make it shorter (ARCHY_TEST_SCHEDULE_MINUTE_MS) so an every-1-minute schedule runs in seconds.
 */
export function nextRunAfter(timing: ScheduleTiming, since: Date, minuteMs = MINUTE_MS): Date {
  if (timing.every !== undefined) return new Date(since.getTime() + timing.every * minuteMs);
  const { hour, minute } = parseAt(timing.at ?? DEFAULT_DAILY_AT);
  // Today's HH:MM on the local calendar, else tomorrow's. Date's own normalisation handles month
  // and year ends (day 32 → the 1st of the next month) and leap days.
  for (let day = 0; day <= 2; day++) {
    const candidate = new Date(since.getFullYear(), since.getMonth(), since.getDate() + day, hour, minute);
    if (candidate.getTime() > since.getTime()) return candidate;
  }
  // Unreachable: a day later is always later; kept so the function is total.
  return new Date(since.getTime() + 24 * 60 * MINUTE_MS);
}

/**
 * When the scheduled run is due, seen from `now`: the next run after `since`, or `now` itself when
 * that time has already passed (a run missed while the node was off runs once, at the start).
 */
export function dueAt(timing: ScheduleTiming, since: Date, now: Date, minuteMs = MINUTE_MS): Date {
  const next = nextRunAfter(timing, since, minuteMs);
  return next.getTime() <= now.getTime() ? now : next;
}

/** The schedule in words, for the CLI and logs: "every 6 hours", "daily at 03:30". */
export function describeTiming(timing: ScheduleTiming): string {
  if (timing.every === undefined) return `daily at ${timing.at ?? DEFAULT_DAILY_AT} (local time)`;
  const minutes = timing.every;
  if (minutes % (24 * 60) === 0) return plural(minutes / (24 * 60), 'day');
  if (minutes % 60 === 0) return plural(minutes / 60, 'hour');
  return plural(minutes, 'minute');
}

function plural(count: number, unit: string): string {
  return count === 1 ? `every ${unit}` : `every ${count} ${unit}s`;
}
