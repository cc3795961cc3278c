import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMemInfo, readDiskSpace, readHostCapacity } from './host-capacity.js';

// A real /proc/meminfo's first lines (values in kB, meaning KiB).
const MEMINFO = `MemTotal:        8039924 kB
MemFree:          312812 kB
MemAvailable:    5123456 kB
Buffers:          101228 kB
Cached:          4410624 kB
SwapCached:            0 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-capacity-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseMemInfo', () => {
  it('reads MemTotal and MemAvailable in bytes', () => {
    expect(parseMemInfo(MEMINFO)).toEqual({
      memTotalBytes: 8039924 * 1024,
      memAvailableBytes: 5123456 * 1024,
    });
  });

  it('falls back to MemFree on kernels without MemAvailable', () => {
    expect(parseMemInfo('MemTotal: 1000 kB\nMemFree: 300 kB\n').memAvailableBytes).toBe(300 * 1024);
  });

  it('says so when the text is not meminfo', () => {
    expect(() => parseMemInfo('hello')).toThrow('/proc/meminfo has no MemTotal line');
  });
});

describe('readDiskSpace', () => {
  it('reports the file system of the nearest existing parent when the data dir does not exist yet', async () => {
    const missing = join(dir, 'not', 'yet');
    const disk = await readDiskSpace(missing);
    expect(disk.path).toBe(missing);
    expect(disk.totalBytes).toBeGreaterThan(0);
    expect(disk.freeBytes).toBeGreaterThan(0);
    expect(disk.freeBytes).toBeLessThanOrEqual(disk.totalBytes);
    // Same file system as its existing parent (free space may move meanwhile; the size does not).
    expect(disk.totalBytes).toBe((await readDiskSpace(dir)).totalBytes);
  });
});

describe('readHostCapacity', () => {
  it("combines meminfo, CPUs, the data dir's disk and Podman's enforcement facts", async () => {
    await writeFile(join(dir, 'meminfo'), MEMINFO);
    const capacity = await readHostCapacity({
      dataDir: dir,
      meminfoPath: join(dir, 'meminfo'),
      cpus: 4,
      podman: {
        rootless: true,
        cgroupVersion: 'v1',
        cgroupControllers: [],
        limitsEnforced: { memory: false, cpu: false, pids: false },
      },
    });
    expect(capacity).toMatchObject({
      memoryBytes: 8039924 * 1024,
      memoryAvailableBytes: 5123456 * 1024,
      cpus: 4,
      disk: { path: dir },
      enforcement: { cgroupVersion: 'v1', memory: false, cpu: false, pids: false },
    });
    expect(capacity.enforcement.reason).toMatch(/^this host runs cgroups v1/);
  });

  it('reads this machine when given only the data dir', async () => {
    const capacity = await readHostCapacity({ dataDir: dir });
    expect(capacity.memoryBytes).toBeGreaterThan(0);
    expect(capacity.cpus).toBeGreaterThan(0);
    expect(['v1', 'v2']).toContain(capacity.enforcement.cgroupVersion);
  });
});
