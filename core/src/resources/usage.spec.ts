import { describe, expect, it } from 'vitest';
import type { ContainerInspect } from '../podman/index.js';
import type { DirSize } from './dir-size.js';
import { readAppsUsage, type ContainerUsageReader } from './usage.js';

// Podman's answers are stubbed here to cover the choice between sources; the real calls are
// exercised in test/resources/usage.test.ts.
const inspectOf = (running: boolean, pid: number): ContainerInspect =>
  ({ State: { Running: running, Pid: pid } }) as ContainerInspect;

const dirSizes = {
  get: async (path: string): Promise<DirSize> => ({
    bytes: path.endsWith('/big') ? 5 * 1024 ** 3 : 4096,
    entries: 1,
    partial: path.endsWith('/big'),
  }),
};

describe('readAppsUsage', () => {
  it('takes cgroup stats when Podman has them, with the declared memory limit and data-dir size', async () => {
    const podman: ContainerUsageReader = {
      containerStats: async () => ({ cpuPercent: 12.5, memUsage: 300, memLimit: 1000, pids: 3 }),
      inspectContainer: async () => {
        throw new Error('not needed when stats exist');
      },
    };
    const usage = await readAppsUsage([{ id: 'big', containerId: 'c1', resources: { memory: 1000 } }], {
      podman,
      dataDir: '/data',
      dirSizes,
    });
    expect(usage).toEqual([
      {
        id: 'big',
        cpuPercent: 12.5,
        memoryBytes: 300,
        memoryLimitBytes: 1000,
        diskBytes: 5 * 1024 ** 3,
        diskPartial: true,
        source: 'cgroup',
      },
    ]);
  });

  it("adds up a multi-service app's containers, each from its own stats", async () => {
    const stats: Record<string, { cpuPercent: number; memUsage: number }> = {
      web: { cpuPercent: 1.5, memUsage: 100 },
      api: { cpuPercent: 2, memUsage: 200 },
      db: { cpuPercent: 0.5, memUsage: 700 },
    };
    const podman: ContainerUsageReader = {
      containerStats: async (id) => stats[id],
      inspectContainer: async () => {
        throw new Error('not needed when stats exist');
      },
    };
    const usage = await readAppsUsage(
      [{ id: 'mempool', containerId: 'web', containerIds: ['web', 'api', 'db'], resources: {} }],
      { podman, dataDir: '/data', dirSizes },
    );
    expect(usage).toEqual([
      { id: 'mempool', cpuPercent: 4, memoryBytes: 1000, diskBytes: 4096, source: 'cgroup' },
    ]);
  });

  it('falls back to /proc, and gives no CPU or memory for a stopped app or one without a container', async () => {
    const podman: ContainerUsageReader = {
      containerStats: async () => undefined,
      inspectContainer: async (id) => (id === 'stopped' ? inspectOf(false, 0) : undefined),
    };
    const usage = await readAppsUsage(
      [
        { id: 'a', containerId: 'stopped', resources: {} },
        { id: 'b', resources: { memory: 64 } },
      ],
      { podman, dataDir: '/data', dirSizes, windowMs: 1 },
    );
    expect(usage).toEqual([
      { id: 'a', diskBytes: 4096, source: 'proc' },
      { id: 'b', memoryLimitBytes: 64, diskBytes: 4096, source: 'proc' },
    ]);
  });

  it('sums a running container from its host pid when stats are missing', async () => {
    const podman: ContainerUsageReader = {
      containerStats: async () => undefined,
      inspectContainer: async () => inspectOf(true, process.pid),
    };
    const [usage] = await readAppsUsage([{ id: 'self', containerId: 'c', resources: {} }], {
      podman,
      dataDir: '/data',
      dirSizes,
      windowMs: 50,
    });
    expect(usage?.source).toBe('proc');
    expect(usage?.memoryBytes).toBeGreaterThan(1024 * 1024);
    expect(usage?.cpuPercent).toBeGreaterThanOrEqual(0);
  });
});
