// An app's kept files in logs/<id>/: `current.log`, where new lines go, and rotated files named
// by the time of their first line (`2026-12-06T10:00:00.000000000Z.log`, sortable as text). One
// KeptLogLine as JSON per line. The folder is the daemon's own (no container mounts it): names
// here are ours, and every open refuses a symlink all the same.

import { constants } from 'node:fs';
import { open, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeptLogLine } from '../kernel/index.js';

export const CURRENT_LOG = 'current.log';
const ROTATED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z(-\d+)?\.log$/;

const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_RDONLY } = constants;

export const isRotatedLogName = (name: string): boolean => ROTATED.test(name);

/** The app's kept files, oldest first (current last). Missing folder: none. */
export async function keptLogFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const rotated = names.filter(isRotatedLogName).sort(byRotationTime);
  return [...rotated, ...(names.includes(CURRENT_LOG) ? [CURRENT_LOG] : [])];
}

/** By first-line time, then by the `-N` a same-time rotation got. */
function byRotationTime(a: string, b: string): number {
  const key = (name: string): [string, number] => {
    const match = /^(.*?)(?:-(\d+))?\.log$/.exec(name);
    return [match?.[1] ?? name, Number(match?.[2] ?? 0)];
  };
  const [ta, na] = key(a);
  const [tb, nb] = key(b);
  return ta < tb ? -1 : ta > tb ? 1 : na - nb;
}

export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** Appends already-serialised lines to current.log (created 0600, never through a symlink). */
export async function appendToCurrent(dir: string, text: string): Promise<void> {
  const handle = await open(join(dir, CURRENT_LOG), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

/** Cuts current.log back to `size` (a batch a crash left half kept is written again whole). */
export async function truncateCurrent(dir: string, size: number): Promise<void> {
  const path = join(dir, CURRENT_LOG);
  if ((await fileSize(path)) > size) await truncate(path, size);
}

/** Renames current.log to its first line's time; returns the new name (none for an empty file). */
export async function rotateCurrent(dir: string): Promise<string | undefined> {
  const first = await firstLine(join(dir, CURRENT_LOG));
  if (first === undefined) return undefined;
  const time = safeTime(first);
  const existing = new Set(await readdir(dir));
  let name = `${time}.log`;
  for (let n = 1; existing.has(name); n += 1) name = `${time}-${n}.log`;
  await rename(join(dir, CURRENT_LOG), join(dir, name));
  return name;
}

/** The time of a kept line as a file name part; a line without one counts as now. */
function safeTime(line: string): string {
  try {
    const time = (JSON.parse(line) as Partial<KeptLogLine>).time;
    if (typeof time === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.test(time)) return time;
  } catch {
    // fall through: a damaged first line still lets the file rotate
  }
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

async function firstLine(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, O_RDONLY | O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead === 0) return undefined;
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    return text.split('\n', 1)[0];
  } finally {
    await handle.close();
  }
}

/**
 * Deletes the oldest rotated files while the app has more than `files`, counting current.log
 * whether or not it exists yet (right after a rotation it is about to).
 */
export async function keepNewestFiles(dir: string, files: number): Promise<void> {
  const rotated = (await keptLogFiles(dir)).filter((name) => name !== CURRENT_LOG);
  const excess = rotated.length - (Math.max(1, files) - 1);
  for (const name of rotated.slice(0, Math.max(0, excess))) await rm(join(dir, name), { force: true });
}

/**
 * Deletes the oldest rotated files of any app under `logsDir` while all kept files together are
 * over `totalBytes`. Current files are never deleted: they hold what each app wrote last.
 */
export async function enforceTotalCap(
  logsDir: string,
  totalBytes: number,
  isAppDir: (name: string) => boolean,
): Promise<void> {
  let apps: string[];
  try {
    apps = (await readdir(logsDir)).filter(isAppDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const rotated: Array<{ path: string; name: string; size: number }> = [];
  let total = 0;
  for (const app of apps) {
    const dir = join(logsDir, app);
    for (const name of await keptLogFiles(dir)) {
      const size = await fileSize(join(dir, name));
      total += size;
      if (name !== CURRENT_LOG) rotated.push({ path: join(dir, name), name, size });
    }
  }
  rotated.sort((a, b) => byRotationTime(a.name, b.name));
  for (const file of rotated) {
    if (total <= totalBytes) break;
    await rm(file.path, { force: true });
    total -= file.size;
  }
}

/** Every kept line of one file, in order; lines that are not KeptLogLine JSON are skipped. */
export async function readKeptFile(path: string): Promise<KeptLogLine[]> {
  let text: string;
  try {
    const handle = await open(path, O_RDONLY | O_NOFOLLOW);
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    // Rotated away or deleted by the caps between the listing and the read: nothing to give.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines: KeptLogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    try {
      const line = JSON.parse(raw) as KeptLogLine;
      if (typeof line.time === 'string' && typeof line.text === 'string') lines.push(line);
    } catch {
      // A line cut by a crash mid-append (the batch is written again whole); skip it.
    }
  }
  return lines;
}
