import { Option, type Command } from 'commander';
import type { BackupScheduleChange, BackupScheduleReport } from '../../api/contract.js';
import { describeTiming, parseEvery } from '../../backup/schedule-time.js';
import { CliError } from '../cli-error.js';
import { addClientOptions, withDaemon, type ClientOptions } from '../client-options.js';
import { printJson, printText } from '../output.js';

interface ScheduleOptions extends ClientOptions {
  every?: string;
  at?: string;
  keepLast?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  includeChain?: boolean;
  off?: boolean;
}

/**
 * `archy backup schedule [--every 6h|daily] [--at 03:30] [--keep-… N] [--include-chain] [--off]
 * [app…]` under the `backup` group: sets the daemon's backup timer (README "Backups" →
 * "Schedule"); without flags it only shows the schedule and the next run.
 */
export function registerBackupScheduleCommand(backup: Command): void {
  addClientOptions(
    backup
      .command('schedule')
      .description('show or set when the node backs up by itself, and which backups it keeps')
      .argument('[apps...]', 'the apps to back up (default: every installed app)')
      .addOption(new Option('--every <interval>', "how often: 30m, 6h, 1d, or 'daily' (at --at)"))
      .addOption(new Option('--at <HH:MM>', 'time of day of a daily backup, local time (default 03:00)'))
      .addOption(new Option('--keep-last <n>', 'keep the last n backups (0: no such rule)'))
      .addOption(new Option('--keep-daily <n>', 'keep one backup a day for n days'))
      .addOption(new Option('--keep-weekly <n>', 'keep one backup a week for n weeks'))
      .addOption(new Option('--keep-monthly <n>', 'keep one backup a month for n months'))
      .addOption(new Option('--include-chain', "also Bitcoin's block and chainstate files (large)"))
      .addOption(new Option('--no-include-chain', "leave Bitcoin's block and chainstate files out (default)"))
      .addOption(new Option('--off', 'turn scheduled backups off (the settings are kept)')),
  ).action(async (apps: string[], options: ScheduleOptions) => {
    const change = scheduleChange(apps, options);
    const report = await withDaemon(options, (client) => client.call('backup.schedule', change));
    if (options.json) printJson(report);
    else printText(describeReport(report));
  });
}

/** The flags as a `backup.schedule` change; none given: an empty change (show only). */
export function scheduleChange(apps: string[], options: ScheduleOptions): BackupScheduleChange {
  const change: BackupScheduleChange = {};
  if (options.off) {
    if (options.every !== undefined || options.at !== undefined) {
      throw new CliError('--off turns the schedule off; leave out --every and --at, or leave out --off');
    }
    change.enabled = false;
  }
  if (options.every !== undefined) change.every = parseEvery(options.every).every ?? null;
  if (options.at !== undefined) change.at = options.at;
  const retention: NonNullable<BackupScheduleChange['retention']> = {};
  for (const [flag, key] of [
    ['keepLast', 'keepLast'],
    ['keepDaily', 'keepDaily'],
    ['keepWeekly', 'keepWeekly'],
    ['keepMonthly', 'keepMonthly'],
  ] as const) {
    const text = options[flag];
    if (text === undefined) continue;
    const count = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(count)) {
      throw new CliError(
        `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} takes a whole number (0: no such rule)`,
      );
    }
    retention[key] = count;
  }
  if (Object.keys(retention).length > 0) change.retention = retention;
  if (options.includeChain !== undefined) change.includeChain = options.includeChain;
  if (apps.length > 0) change.apps = apps;
  return change;
}

/** The schedule in a few lines: when, what, what is kept, the next run and how the last ended. */
export function describeReport(report: BackupScheduleReport): string {
  const schedule = report.schedule;
  if (!schedule) return 'no backup schedule; set one, e.g.: archy backup schedule --every daily --at 03:30';
  const keep = Object.entries(schedule.retention)
    .map(([key, n]) => `${key.replace(/^keep/, '').toLowerCase()} ${n}`)
    .join(', ');
  const lines = [
    `schedule:   ${schedule.enabled ? describeTiming(schedule) : `off (was ${describeTiming(schedule)})`}`,
    `apps:       ${schedule.apps?.join(', ') ?? 'every installed app'}${schedule.includeChain ? ' (with chain files)' : ''}`,
    `keep:       ${keep || 'every backup (no retention)'}`,
    `next run:   ${report.nextRun ? localTime(report.nextRun) : '—'}`,
  ];
  if (report.last) {
    const last = report.last;
    lines.push(
      `last run:   ${last.ok ? 'ok' : 'FAILED'} ${localTime(last.finishedAt)}${last.snapshot ? ` snapshot ${last.snapshot.slice(0, 8)}` : ''}${last.message ? ` — ${last.message}` : ''}`,
    );
  }
  if (report.skipped) lines.push(`waited:     ${localTime(report.skipped.at)}: ${report.skipped.reason}`);
  return lines.join('\n');
}

function localTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())} (${iso})`;
}
