// run/daemon.json: where the running daemon listens and its pid, written at each start for the
// CLI on the same data dir (it finds the API there, and knows a daemon is up). Through the typed
// JSON store; version 1 is also every file written before the format was stamped.

import { z } from 'zod';
import { DataLayout } from '../layout/index.js';
import { JsonFile, type JsonFormat } from '../util/json-store.js';

export interface DaemonInfo {
  url: string;
  pid: number;
}

const DAEMON_INFO_FORMAT: JsonFormat<DaemonInfo> = {
  what: 'daemon run file',
  schema: z.object({ url: z.string(), pid: z.number().int().positive() }),
  version: 1,
  // The CLI of any user who may read the data dir finds the daemon through it; it holds no secret.
  mode: 0o644,
};

const daemonInfoFile = (dataDir: string) =>
  new JsonFile(new DataLayout(dataDir).daemonInfoFile, DAEMON_INFO_FORMAT);

export const writeDaemonInfo = (dataDir: string, info: DaemonInfo): Promise<void> =>
  daemonInfoFile(dataDir).write(info);

/**
 * What the run file says, or undefined when it is missing, unreadable or not valid: the daemon
 * may be older, stopped, or writing it right now, and the CLI's defaults are still worth trying.
 */
export async function readDaemonInfo(dataDir: string): Promise<DaemonInfo | undefined> {
  try {
    return await daemonInfoFile(dataDir).read();
  } catch {
    return undefined;
  }
}
