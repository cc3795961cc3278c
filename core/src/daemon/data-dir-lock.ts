// One daemon per data dir. A second daemon on the same data dir would reconcile the same apps,
// rewrite the same .cookie and race the first for every container; it must refuse before it
// touches anything.
//
// The lock is a Linux abstract unix socket, not a file: the kernel binds a name atomically (one
// process wins, the other gets EADDRINUSE) and frees it when the holder dies, however it dies —
// SIGKILL and power loss included — so there is never a stale lock to detect or clean up. (Node
// has no flock(); a pid file needs a liveness guess and a racy takeover; a socket file in the
// data dir survives its process and brings the same takeover race back.) The name is derived from
// a random key kept in the 0700 data dir and the data dir's device and inode: another local user
// cannot compute it to squat it, and a copy of the data dir is another data dir. The holder answers
// a connection with its pid, so the refusal can name it. Limits: abstract names live in a network
// namespace, so two daemons in different network namespaces do not see each other's lock.

import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { DAEMON_FILES, DataLayout } from '../layout/index.js';

/** The key the lock's name is made from; created once, never rewritten. */
export const LOCK_KEY_FILE = DAEMON_FILES.lockKey;
const KEY_PATTERN = /^[a-f0-9]{64}$/;
/** How long a refused daemon waits for the holder to say who it is. */
const HOLDER_ANSWER_MS = 2_000;

export interface DataDirLock {
  /** Frees the lock (also freed by the kernel when the process ends). */
  release(): Promise<void>;
}

export class DataDirLocked extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `another archipelagod${holderPid !== undefined ? ` (pid ${holderPid})` : ''} is already running on the data dir ` +
        `${dataDir}; stop it first, or start this one with another --data-dir`,
    );
    this.name = 'DataDirLocked';
  }
}

/**
 * Takes the data dir's lock or throws DataDirLocked naming the holder. Creates the data dir and
 * the lock key when missing; reads nothing else and writes nothing else.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const name = await lockName(dataDir);
  // Two tries: a holder that died between our bind and our connect leaves the name free.
  for (let attempt = 0; ; attempt++) {
    const server = createServer((socket) => {
      socket.end(`${JSON.stringify({ pid: process.pid })}\n`);
    });
    const bound = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        error.code === 'EADDRINUSE' ? resolve(false) : reject(error),
      );
      server.listen({ path: name }, () => resolve(true));
    });
    if (bound) {
      // Never what keeps the process alive; the daemon's own work does that.
      server.unref();
      return { release: () => closeServer(server) };
    }
    const holder = await askHolder(name);
    if (holder.alive || attempt >= 1) throw new DataDirLocked(dataDir, holder.pid);
  }
}

/** `\0archipelagod-<hash>`: from the data dir's key, device and inode. */
async function lockName(dataDir: string): Promise<string> {
  const key = await lockKey(dataDir);
  const info = await stat(dataDir, { bigint: true });
  const digest = createHash('sha256').update(`${key}:${info.dev}:${info.ino}`).digest('hex');
  return `\0archipelagod-${digest.slice(0, 40)}`;
}

/** The data dir's lock key, created atomically the first time (link: all of it or nothing). */
async function lockKey(dataDir: string): Promise<string> {
  const file = new DataLayout(dataDir).lockKeyFile;
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined) return checkedKey(existing, file);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (error) {
    // Another daemon starting at the same moment made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return checkedKey(await readFile(file, 'utf8'), file);
}

function checkedKey(text: string, file: string): string {
  const key = text.trim();
  if (!KEY_PATTERN.test(key)) {
    throw new Error(
      `${file} is not a lock key (64 hex digits); if no archipelagod runs on this data dir, delete it and start again`,
    );
  }
  return key;
}

/** Whether a holder answers at `name`, and its pid when it says. */
function askHolder(name: string): Promise<{ alive: boolean; pid?: number }> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection({ path: name });
    const done = (result: { alive: boolean; pid?: number }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    // A holder too busy to answer is still a holder.
    const timer = setTimeout(() => done({ alive: true }), HOLDER_ANSWER_MS);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('end', () => {
      let pid = Number.NaN;
      try {
        pid = Number((JSON.parse(text) as { pid?: unknown }).pid);
      } catch {
        // Answered, but not with a pid: a holder all the same.
      }
      done(Number.isInteger(pid) && pid > 0 ? { alive: true, pid } : { alive: true });
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      done({ alive: error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT' }),
    );
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
