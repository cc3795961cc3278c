import { describe, expect, it } from 'vitest';
import type { ResourcesReport } from '../../api/contract.js';
import { formatResourcesReport } from './resources.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

const report = (overrides: Partial<ResourcesReport> = {}): ResourcesReport => ({
  capacity: {
    memoryBytes: 8 * GIB,
    memoryAvailableBytes: 6.5 * GIB,
    cpus: 4,
    disk: { path: '/var/lib/archipelago', freeBytes: 120 * GIB, totalBytes: 500 * GIB },
    enforcement: {
      cgroupVersion: 'v1',
      memory: false,
      cpu: false,
      pids: false,
      reason: 'this host runs cgroups v1, where rootless Podman ignores resource limits; boot with cgroup v2',
    },
  },
  budget: { memoryShare: 0.8, diskReserveBytes: GIB, memoryBudgetBytes: 6.4 * GIB },
  allocated: { memoryBytes: 2.5 * GIB, diskMinBytes: 600 * GIB },
  apps: [
    {
      id: 'bitcoin-core',
      cpuPercent: 3.25,
      memoryBytes: 512 * MIB,
      memoryLimitBytes: 2 * GIB,
      diskBytes: 550 * GIB,
      diskPartial: true,
      source: 'proc',
    },
    { id: 'hello', memoryLimitBytes: 64 * MIB, diskBytes: 4096, source: 'proc' },
  ],
  ...overrides,
});

describe('formatResourcesReport', () => {
  it('prints capacity, budget and enforcement lines, then a table of apps', () => {
    expect(formatResourcesReport(report())).toBe(
      [
        'host:   4 CPUs, 8.0 GiB RAM (6.5 GiB available), 120.0 GiB free of 500.0 GiB on /var/lib/archipelago',
        'budget: 2.5 GiB of 6.4 GiB memory reserved (80% of RAM); 600.0 GiB minimum disk declared, 1.0 GiB kept free',
        'limits: not enforced: this host runs cgroups v1, where rootless Podman ignores resource limits; boot with cgroup v2',
        '',
        'ID            CPU   MEM        LIMIT     DISK',
        'bitcoin-core  3.3%  512.0 MiB  2.0 GiB   550.0 GiB+',
        'hello         -     -          64.0 MiB  4.0 KiB',
        "+ part of the data dir could not be read (owned by the container's user): at least this much",
      ].join('\n'),
    );
  });

  it('says when limits are enforced and when nothing is installed', () => {
    const text = formatResourcesReport(
      report({
        apps: [],
        capacity: {
          ...report().capacity,
          enforcement: { cgroupVersion: 'v2', memory: true, cpu: true, pids: true },
        },
      }),
    );
    expect(text).toContain('limits: memory, cpu and pids limits enforced (cgroup v2)');
    expect(text.endsWith('no apps installed')).toBe(true);
  });
});
