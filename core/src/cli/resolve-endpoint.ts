import { CliError } from './cli-error.js';
import { DataLayout } from '../layout/index.js';
import { readDaemonInfo } from '../daemon/daemon-info.js';

export const DEFAULT_DAEMON_URL = 'http://127.0.0.1:5959';

/** Where the daemon records the URL it listens on: `{ "url": "http://127.0.0.1:5959", "pid": 123 }`. */
export function daemonRunFilePath(dataDir: string): string {
  return new DataLayout(dataDir).daemonInfoFile;
}

export interface ResolvedDaemonUrl {
  url: string;
  /** How the URL was chosen, for error messages. */
  source: 'option' | 'run-file' | 'default';
}

/**
 * The daemon's URL: `--url` / ARCHY_URL when given, else what the daemon wrote to
 * DATA_DIR/run/daemon.json, else the default listen address.
 */
export async function resolveDaemonUrl(options: {
  url?: string | undefined;
  dataDir: string;
}): Promise<ResolvedDaemonUrl> {
  if (options.url !== undefined && options.url !== '') {
    return { url: normalizeDaemonUrl(options.url, '--url'), source: 'option' };
  }
  const recorded = await readRecordedUrl(options.dataDir, daemonRunFilePath(options.dataDir));
  if (recorded !== undefined) return { url: recorded, source: 'run-file' };
  return { url: DEFAULT_DAEMON_URL, source: 'default' };
}

/** Checks the URL is http(s) and drops a trailing slash so paths can be appended. */
export function normalizeDaemonUrl(text: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`${origin} '${text}' is not a URL; expected e.g. ${DEFAULT_DAEMON_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`${origin} '${text}' must start with http:// or https://`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

// A missing, unreadable or garbled run file is not an error (readDaemonInfo): the default
// address is still worth trying.
async function readRecordedUrl(dataDir: string, file: string): Promise<string | undefined> {
  const recorded = await readDaemonInfo(dataDir);
  if (recorded === undefined) return undefined;
  try {
    return normalizeDaemonUrl(recorded.url, file);
  } catch {
    return undefined;
  }
}
