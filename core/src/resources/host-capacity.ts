// What the host has to give: RAM, CPUs, free disk under the data dir, and (from enforcement.ts)
// which resource limits the kernel will actually enforce for our containers. Inputs are
// parameters (file paths, Podman's info) so the parsing is testable without the machine.

import { readFile, statfs } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { HostCapacity, LimitEnforcement } from '../kernel/index.js';
import { enforcementFromPodman, readCgroupEnforcement, type PodmanCgroupFacts } from './enforcement.js';

export type { HostCapacity, LimitEnforcement };

export interface MemInfo {
  memTotalBytes: number;
  /** The kernel's estimate of memory usable without swapping (page cache counts as free). */
  memAvailableBytes: number;
}

/** MemTotal and MemAvailable from /proc/meminfo text (values in kB, meaning KiB). */
export function parseMemInfo(text: string): MemInfo {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)\s*kB$/.exec(line.trim());
    if (match) fields.set(match[1]!, Number(match[2]) * 1024);
  }
  const total = fields.get('MemTotal');
  if (total === undefined) throw new Error('/proc/meminfo has no MemTotal line; is this Linux?');
  // Kernels before 3.14 lack MemAvailable; MemFree understates it, which errs on the safe side.
  const available = fields.get('MemAvailable') ?? fields.get('MemFree') ?? 0;
  return { memTotalBytes: total, memAvailableBytes: available };
}

/**
 * Free and total space of the file system holding `path`. The data dir may not exist yet on a
 * fresh install: then the nearest existing parent tells which file system it will be on.
 */
export async function readDiskSpace(path: string): Promise<HostCapacity['disk']> {
  let probe = resolve(path);
  for (;;) {
    try {
      const stats = await statfs(probe);
      // bavail, not bfree: the blocks root keeps in reserve are not ours to use.
      return { path, freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
    } catch (err) {
      const parent = dirname(probe);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === probe) throw err;
      probe = parent;
    }
  }
}

export interface ReadHostCapacityOptions {
  dataDir: string;
  /** Podman's info: preferred for enforcement, since Podman is what applies the limits. */
  podman?: PodmanCgroupFacts;
  meminfoPath?: string;
  cpus?: number;
  cgroupRoot?: string;
}

export async function readHostCapacity(options: ReadHostCapacityOptions): Promise<HostCapacity> {
  const [meminfo, disk, enforcement] = await Promise.all([
    readFile(options.meminfoPath ?? '/proc/meminfo', 'utf8').then(parseMemInfo),
    readDiskSpace(options.dataDir),
    options.podman
      ? enforcementFromPodman(options.podman)
      : readCgroupEnforcement({ cgroupRoot: options.cgroupRoot }),
  ]);
  return {
    memoryBytes: meminfo.memTotalBytes,
    memoryAvailableBytes: meminfo.memAvailableBytes,
    // availableParallelism honours the CPU affinity mask, unlike os.cpus().length.
    cpus: options.cpus ?? availableParallelism(),
    disk,
    enforcement,
  };
}
