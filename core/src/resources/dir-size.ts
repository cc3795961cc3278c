// How much disk an app's data dir uses. A blockchain dir holds hundreds of GiB in thousands of
// files, so the walk is asynchronous, bounded, and its result cached for about a minute.

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface DirSize {
  /**
   * Allocated bytes (st_blocks × 512, as `du` counts): what the files take from the disk. A
   * sparse or preallocated file counts what it really occupies, not its apparent length, since
   * the question this answers is "where did my free disk go".
   */
  bytes: number;
  /** Entries seen, the directory itself included. */
  entries: number;
  /** Some directory could not be read (e.g. owned by a container's user) or the bound was hit. */
  partial: boolean;
}

export interface MeasureDirOptions {
  /** Stop after this many entries and report `partial`. */
  maxEntries?: number;
  signal?: AbortSignal;
}

/** A bitcoind datadir has ~10k files; a million leaves room while bounding a runaway tree. */
export const DEFAULT_MAX_ENTRIES = 1_000_000;
// lstat calls in flight per directory: enough to hide disk latency, few enough not to hog libuv's pool.
const LSTAT_BATCH = 32;

/**
 * Walks `root` with lstat: symlinks are counted as links and never followed (an app's data
 * must not be charged for what a link points at, nor a link loop hang the walk), and a file
 * with several hard links inside the tree is counted once. A missing root measures 0.
 */
export async function measureDirSize(root: string, options: MeasureDirOptions = {}): Promise<DirSize> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const seenInodes = new Set<string>();
  const result: DirSize = { bytes: 0, entries: 0, partial: false };

  const count = (stats: { blocks: number; nlink: number; dev: number; ino: number }): void => {
    result.entries++;
    if (stats.nlink > 1) {
      const key = `${stats.dev}:${stats.ino}`;
      if (seenInodes.has(key)) return;
      seenInodes.add(key);
    }
    result.bytes += stats.blocks * 512;
  };

  let rootStats;
  try {
    rootStats = await lstat(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw err;
  }
  count(rootStats);
  if (!rootStats.isDirectory()) return result;

  const pending = [root];
  while (pending.length > 0) {
    options.signal?.throwIfAborted();
    const dir = pending.pop()!;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      // Unreadable (a container user's 0700 dir) or removed while we walk: count what we can.
      result.partial = true;
      continue;
    }
    for (let start = 0; start < names.length; start += LSTAT_BATCH) {
      const batch = names.slice(start, start + LSTAT_BATCH).map((name) => join(dir, name));
      const stats = await Promise.all(batch.map((path) => lstat(path).catch(() => undefined)));
      for (const [index, entry] of stats.entries()) {
        if (result.entries >= maxEntries) {
          result.partial = true;
          return result;
        }
        if (!entry) {
          result.partial = true;
          continue;
        }
        count(entry);
        if (entry.isDirectory()) pending.push(batch[index]!);
      }
    }
  }
  return result;
}

export interface DirSizeCacheOptions {
  /** How long a measurement is reused. Default 60 s. */
  ttlMs?: number;
  now?: () => number;
  measure?: (path: string) => Promise<DirSize>;
}

/**
 * Measurements reused for `ttlMs`, and one walk per path at a time however many callers ask
 * (the UI polling `resources` from several tabs must not start several walks of a blockchain).
 */
export class DirSizeCache {
  private readonly entries = new Map<string, { at: number; size: Promise<DirSize> }>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly measure: (path: string) => Promise<DirSize>;

  constructor(options: DirSizeCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.measure = options.measure ?? ((path) => measureDirSize(path));
  }

  get(path: string): Promise<DirSize> {
    const cached = this.entries.get(path);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.size;
    const size = this.measure(path);
    const entry = { at: this.now(), size };
    this.entries.set(path, entry);
    // A failed walk is not cached: the next caller tries again.
    size.catch(() => {
      if (this.entries.get(path) === entry) this.entries.delete(path);
    });
    return size;
  }

  /** Drops a path's measurement, e.g. after its data was purged. */
  forget(path: string): void {
    this.entries.delete(path);
  }
}
