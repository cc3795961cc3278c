// A Compose healthcheck as our exec probe: the same command, run in the container the same way
// (`CMD` as argv, `CMD-SHELL` or a string through /bin/sh -c), with its timings.

import { parseDuration } from '../../manifest/index.js';

export interface ExecHealth {
  exec: { command: string[] };
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  retries?: number;
}

/** Compose's "1m30s" as whole seconds ("90s"), which our durations read; undefined if unreadable. */
function seconds(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(value.trim());
  if (!match || value.trim() === '') return undefined;
  const [, h = '0', m = '0', s = '0', ms = '0'] = match;
  const total = Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000 + Number(ms));
  if (total <= 0) return undefined;
  const text = total % 1000 === 0 ? `${total / 1000}s` : `${total}ms`;
  return parseDuration(text).ok ? text : undefined;
}

/** Compose's stop_grace_period as our stopTimeout, or undefined. */
export const durationFor = seconds;

/**
 * The probe, or undefined when the healthcheck is disabled or unreadable. `interpolate` maps the
 * command's variables (an exec probe takes no references: a command needing one is dropped).
 */
export function healthFor(
  healthcheck: unknown,
  interpolate: (text: string) => string | undefined,
): ExecHealth | undefined {
  if (!healthcheck || typeof healthcheck !== 'object') return undefined;
  const check = healthcheck as Record<string, unknown>;
  if (check.disable === true) return undefined;
  const test = check.test;
  let command: string[] | undefined;
  if (typeof test === 'string') command = ['/bin/sh', '-c', test];
  else if (Array.isArray(test) && test[0] === 'CMD') command = test.slice(1).map(String);
  else if (Array.isArray(test) && test[0] === 'CMD-SHELL')
    command = ['/bin/sh', '-c', test.slice(1).map(String).join(' ')];
  if (!command || command.length === 0) return undefined;
  const mapped = command.map(interpolate);
  if (mapped.some((part) => part === undefined || part === '')) return undefined;
  const health: ExecHealth = { exec: { command: mapped as string[] } };
  const interval = seconds(check.interval);
  const timeout = seconds(check.timeout);
  const startPeriod = seconds(check.start_period);
  if (interval) health.interval = interval;
  if (timeout) health.timeout = timeout;
  if (startPeriod) health.startPeriod = startPeriod;
  if (typeof check.retries === 'number' && Number.isInteger(check.retries) && check.retries >= 1)
    health.retries = check.retries;
  return health;
}
