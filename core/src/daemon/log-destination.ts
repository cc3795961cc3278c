// Where the daemon's log goes and in what form: JSON lines for machines (journald, a file, a
// pipe, tools like jq) and readable lines when a person watches it on a terminal. pino-pretty is
// loaded only then, so a daemon running as a service never pays for it.
//
//   ARCHY_LOG_FORMAT=json|pretty overrides the choice (e.g. pretty output into a file).

import type { DestinationStream } from 'pino';

export type LogFormat = 'json' | 'pretty';

export function logFormat(env: NodeJS.ProcessEnv, stdout: { isTTY?: boolean }): LogFormat {
  const asked = env.ARCHY_LOG_FORMAT;
  if (asked === 'json' || asked === 'pretty') return asked;
  if (asked !== undefined && asked !== '')
    throw new Error(`ARCHY_LOG_FORMAT is '${asked}'; set it to json or pretty, or unset it`);
  return stdout.isTTY ? 'pretty' : 'json';
}

/**
 * A synchronous pretty stream for a terminal (stdout, or `output`), or undefined for pino's
 * default JSON to stdout.
 */
export async function logDestination(
  format: LogFormat,
  output?: NodeJS.WritableStream,
): Promise<DestinationStream | undefined> {
  if (format === 'json') return undefined;
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    colorize: output === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,name',
    // Synchronous: a crash must not lose the last lines a person is reading.
    sync: true,
    ...(output && { destination: output }),
  });
}
