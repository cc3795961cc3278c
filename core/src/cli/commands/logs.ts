import { Option, type Command } from 'commander';
import type { LogLine } from '../../api/contract.js';
import { CliError } from '../cli-error.js';
import {
  addClientOptions,
  parseAppId,
  tailParser,
  withDaemon,
  type ClientOptions,
} from '../client-options.js';
import { printJson } from '../output.js';
import type { DaemonEndpoint } from '../rpc-client.js';
import { openEventStream } from '../ws-client.js';
import { MAX_LOG_TAIL } from '../../api/limits.js';
import { resolveLogTime } from '../../logs/log-time.js';

export const DEFAULT_CLI_LOG_TAIL = 100;

type LogsOptions = ClientOptions & {
  follow: boolean;
  tail?: number;
  service?: string;
  since?: string;
  until?: string;
};

/**
 * `archy logs <id> [--since 10m|ISO] [--until …] [--follow] [--tail N] [--service NAME]`: the
 * app's stdout/stderr go to ours; a multi-service app's lines are prefixed `[service]`. Without
 * --since/--until the current container's lines, from Podman; with them the app's kept lines
 * (README "Kept logs") across its containers: restarts, updates, version switches.
 */
export function registerLogsCommand(program: Command): void {
  addClientOptions(
    program
      .command('logs')
      .description("print an app's logs")
      .argument('<id>', 'the app id', parseAppId)
      .addOption(new Option('-f, --follow', 'keep printing new lines until Ctrl-C').default(false))
      .addOption(
        new Option(
          '-n, --tail <lines>',
          `how many of the last lines to print (default ${DEFAULT_CLI_LOG_TAIL}, with --since/--until every line up to ${MAX_LOG_TAIL}; 0 with --follow: only new ones)`,
        ).argParser(tailParser(0)),
      )
      .addOption(new Option('-s, --service <name>', 'only this service of a multi-service app'))
      .addOption(
        new Option(
          '--since <when>',
          'the kept lines since then, across container recreations: a duration (10m, 2h, 1d) or an ISO time',
        ).argParser(logTimeParser('--since')),
      )
      .addOption(
        new Option(
          '--until <when>',
          'the kept lines until then (included): a duration ago or an ISO time',
        ).argParser(logTimeParser('--until')),
      ),
  ).action(async (id: string, options: LogsOptions) => {
    const kept = options.since !== undefined || options.until !== undefined;
    const tail = options.tail ?? (kept ? undefined : DEFAULT_CLI_LOG_TAIL);
    if (!options.follow && tail === 0) {
      throw new CliError('--tail 0 prints nothing without --follow; give 1 or more');
    }
    if (options.follow && options.until !== undefined) {
      throw new CliError('--until ends the lines, --follow waits for new ones: give one of them');
    }
    await withDaemon(options, async (client, endpoint) => {
      if (!options.follow) {
        const lines = await client.call('container-logs', {
          id,
          ...(tail !== undefined && { tail }),
          ...(options.service !== undefined && { service: options.service }),
          ...(options.since !== undefined && { since: options.since }),
          ...(options.until !== undefined && { until: options.until }),
        });
        if (options.json) printJson(lines);
        else for (const line of lines) printLogLine(line, false);
        return;
      }
      // A plain call first: it turns a bad token or an unknown app into a clear message, which a
      // refused WebSocket upgrade cannot carry.
      await client.call('container-status', { id });
      if (options.service !== undefined && options.since === undefined) {
        throw new CliError(
          '--service works with --follow only together with --since (the kept lines); add --since 0s, or follow every service',
        );
      }
      await followLogs(endpoint, id, { ...options, tail: tail ?? DEFAULT_CLI_LOG_TAIL });
    });
  });
}

/** Streams over /ws until Ctrl-C (exit 0), the stream ends, or the daemon reports an error. */
async function followLogs(
  endpoint: DaemonEndpoint,
  id: string,
  options: LogsOptions & { tail: number },
): Promise<void> {
  const stream = await openEventStream(endpoint);
  let interrupted = false;
  let failure: CliError | undefined;
  const onSigint = (): void => {
    interrupted = true;
    stream.close();
  };
  process.once('SIGINT', onSigint);
  try {
    stream.onMessage((message) => {
      if ('event' in message) {
        if (message.event === 'log' && message.data.id === id) {
          const { id: _app, ...line } = message.data;
          if (options.service !== undefined && line.service !== options.service) return;
          // Kept lines (--since) carry service, time and container; a plain follow prints as it always did.
          printLogLine(
            options.since !== undefined ? line : { stream: line.stream, line: line.line },
            options.json,
          );
        }
      } else if ('end' in message) {
        if (message.id === id) stream.close();
      } else if ('error' in message && (message.error.id === undefined || message.error.id === id)) {
        failure = new CliError(message.error.message, { rpcCode: message.error.code });
        stream.close();
      }
    });
    stream.send({
      subscribe: 'logs',
      id,
      tail: options.tail,
      ...(options.since !== undefined && { since: options.since }),
    });
    const { code } = await stream.closed;
    if (failure) throw failure;
    // 1000 is our own close (Ctrl-C or the stream's end); anything else is the daemon going away.
    if (!interrupted && code !== 1000) {
      throw new CliError(`lost the connection to the daemon at ${endpoint.url} (close code ${code})`);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function printLogLine(line: LogLine, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return;
  }
  // The app's stderr goes to ours, like `podman logs`, so `2>/dev/null` means the same thing.
  const prefix = line.service !== undefined ? `[${line.service}] ` : '';
  (line.stream === 'stderr' ? process.stderr : process.stdout).write(`${prefix}${line.line}\n`);
}

/** `--since`/`--until`: a duration before now or an ISO time, sent to the daemon as ISO. */
function logTimeParser(option: string): (text: string) => string {
  return (text) => {
    try {
      return resolveLogTime(text);
    } catch (error) {
      throw new CliError(`${option}: ${(error as Error).message}`);
    }
  };
}
