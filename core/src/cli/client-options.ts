import { InvalidArgumentError, Option, type Command } from 'commander';
import { MAX_LOG_TAIL } from '../api/limits.js';
import { APP_ID_PATTERN } from '../util/app-id.js';
import { DEFAULT_DATA_DIR } from '../daemon/options.js';
import { readDaemonCredentials } from './credentials.js';
import { resolveDaemonUrl } from './resolve-endpoint.js';
import { RpcClient, type DaemonEndpoint } from './rpc-client.js';

/** Options every command that talks to the daemon takes. */
export interface ClientOptions {
  dataDir: string;
  url?: string;
  json: boolean;
}

export function dataDirOption(): Option {
  return new Option('--data-dir <dir>', "the daemon's data dir (its .cookie holds the API token)")
    .env('ARCHY_DATA_DIR')
    .default(DEFAULT_DATA_DIR);
}

/** Where the node's master key is, when it is kept outside the data dir (daemon and offline tools). */
export function masterKeyFileOption(): Option {
  return new Option(
    '--master-key-file <path>',
    'the master key, kept outside the data dir (default: the systemd credential archipelago-master-key, else DATA_DIR/secrets/.master-key)',
  ).env('ARCHY_MASTER_KEY_FILE');
}

export function jsonOption(): Option {
  return new Option('--json', 'print machine-readable JSON on stdout').default(false);
}

export function addClientOptions(command: Command): Command {
  return command
    .addOption(dataDirOption())
    .addOption(
      new Option(
        '--url <url>',
        'the daemon URL (default: from DATA_DIR/run/daemon.json, else http://127.0.0.1:5959)',
      ).env('ARCHY_URL'),
    )
    .addOption(jsonOption());
}

/** Finds the daemon and its token. Done per command, so `archy manifest lint` needs neither. */
export async function resolveEndpoint(options: ClientOptions): Promise<DaemonEndpoint> {
  const { url } = await resolveDaemonUrl({ url: options.url, dataDir: options.dataDir });
  const { token, cookieFile } = await readDaemonCredentials(options.dataDir);
  return { url, token, cookieFile, dataDir: options.dataDir };
}

/** Runs `work` with a client for the daemon, closing its connections afterwards. */
export async function withDaemon<T>(
  options: ClientOptions,
  work: (client: RpcClient, endpoint: DaemonEndpoint) => Promise<T>,
): Promise<T> {
  const endpoint = await resolveEndpoint(options);
  const client = new RpcClient(endpoint);
  try {
    return await work(client, endpoint);
  } finally {
    await client.close();
  }
}

/** Commander argument parser: refuses a malformed app id before any network call. */
export function parseAppId(value: string): string {
  if (!APP_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      `'${value}' is not an app id: use 1-63 lowercase letters, digits or '-', starting with a letter or digit`,
    );
  }
  return value;
}

/** Commander option parser for --tail: whole lines, `min`..MAX_LOG_TAIL. */
export function tailParser(min: number): (value: string) => number {
  return (value) => {
    const lines = Number(value);
    if (!/^\d+$/.test(value) || lines < min || lines > MAX_LOG_TAIL) {
      throw new InvalidArgumentError(`expected a whole number of lines from ${min} to ${MAX_LOG_TAIL}`);
    }
    return lines;
  };
}
