import { describe, expect, it } from 'vitest';
import { ArchyError, RpcErrorCode, type HostCapacity } from '../kernel/index.js';
import { admitInstall, assertAdmitted, memoryClaim } from './admission.js';
import { DEFAULT_BUDGET } from './budget.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

const enforcedHost = (overrides: Partial<HostCapacity> = {}): HostCapacity => ({
  memoryBytes: 8 * GIB,
  memoryAvailableBytes: 6 * GIB,
  cpus: 4,
  disk: { path: '/var/lib/archipelago', freeBytes: 100 * GIB, totalBytes: 500 * GIB },
  enforcement: { cgroupVersion: 'v2', memory: true, cpu: true, pids: true },
  ...overrides,
});

describe('memoryClaim', () => {
  it('counts the reservation, else the limit, else nothing', () => {
    expect(memoryClaim({ memory: 2 * GIB, memoryReservation: GIB })).toBe(GIB);
    expect(memoryClaim({ memory: 2 * GIB })).toBe(2 * GIB);
    expect(memoryClaim({ cpus: 1 })).toBe(0);
  });
});

describe('admitInstall', () => {
  it('admits an app that fits, without warnings on a host that enforces limits', () => {
    const decision = admitInstall({
      manifest: { id: 'lnd', resources: { memory: GIB, cpus: 1, pids: 256, minDisk: 10 * GIB } },
      installed: [{ id: 'bitcoin-core', resources: { memoryReservation: 2 * GIB } }],
      capacity: enforcedHost(),
      budget: DEFAULT_BUDGET,
    });
    expect(decision).toEqual({ ok: true, warnings: [] });
  });

  it('refuses memory over the budget with the numbers and the way out', () => {
    // 8 GiB × 0.8 = 6.4 GiB budget; 5.1 GiB reserved; 2 GiB more does not fit.
    const decision = admitInstall({
      manifest: { id: 'bitcoin-core', resources: { memoryReservation: 2 * GIB, memory: 4 * GIB } },
      installed: [
        { id: 'lnd', resources: { memoryReservation: 4 * GIB } },
        { id: 'mempool', resources: { memory: 1.1 * GIB } },
      ],
      capacity: enforcedHost(),
      budget: DEFAULT_BUDGET,
    });
    expect(decision).toEqual({
      ok: false,
      reason:
        'not enough memory for bitcoin-core: it reserves 2.0 GiB, installed apps reserve 5.1 GiB, ' +
        'and the budget is 6.4 GiB (80% of 8.0 GiB); free memory by removing an app or raise the budget with ARCHY_MEMORY_SHARE',
    });
  });

  it('counts a reservation rather than the larger limit, so an app reserving little still fits', () => {
    const installed = [{ id: 'lnd', resources: { memoryReservation: 5 * GIB, memory: 7 * GIB } }];
    const withReservation = admitInstall({
      manifest: { id: 'hello', resources: { memoryReservation: GIB, memory: 3 * GIB } },
      installed,
      capacity: enforcedHost(),
      budget: DEFAULT_BUDGET,
    });
    expect(withReservation.ok).toBe(true);
    const limitOnly = admitInstall({
      manifest: { id: 'hello', resources: { memory: 3 * GIB } },
      installed,
      capacity: enforcedHost(),
      budget: DEFAULT_BUDGET,
    });
    expect(limitOnly).toMatchObject({ ok: false, reason: expect.stringContaining('it reserves 3.0 GiB') });
  });

  it('admits exactly up to the budget, and honours a raised share', () => {
    const fill = { id: 'big', resources: { memoryReservation: 6 * GIB } };
    const capacity = enforcedHost({ memoryBytes: 10 * GIB });
    const request = {
      manifest: { id: 'small', resources: { memoryReservation: 2 * GIB } },
      installed: [fill],
      capacity,
    };
    expect(admitInstall({ ...request, budget: DEFAULT_BUDGET }).ok).toBe(true);
    expect(admitInstall({ ...request, budget: { ...DEFAULT_BUDGET, memoryShare: 0.7 } })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('the budget is 7.0 GiB (70% of 10.0 GiB)'),
    });
  });

  it("leaves the app's own installed entry out when it is updated", () => {
    const decision = admitInstall({
      manifest: { id: 'bitcoin-core', resources: { memoryReservation: 6 * GIB } },
      installed: [{ id: 'bitcoin-core', resources: { memoryReservation: 6 * GIB } }],
      capacity: enforcedHost(),
      budget: DEFAULT_BUDGET,
    });
    expect(decision.ok).toBe(true);
  });

  it('refuses an app whose minimum disk exceeds free disk minus the reserve', () => {
    const decision = admitInstall({
      manifest: { id: 'bitcoin-core', resources: { memory: GIB, minDisk: 100 * GIB } },
      installed: [],
      capacity: enforcedHost(),
      budget: DEFAULT_BUDGET,
    });
    expect(decision).toEqual({
      ok: false,
      reason:
        'not enough disk for bitcoin-core: it needs 100.0 GiB free, /var/lib/archipelago has 100.0 GiB free, ' +
        'and 1.0 GiB of that is kept in reserve; free disk space, put the data dir on a larger disk, ' +
        'or lower the reserve with ARCHY_DISK_RESERVE',
    });
    const fits = admitInstall({
      manifest: { id: 'bitcoin-core', resources: { memory: GIB, minDisk: 99 * GIB } },
      installed: [],
      capacity: enforcedHost(),
      budget: DEFAULT_BUDGET,
    });
    expect(fits.ok).toBe(true);
  });

  it('warns, without refusing, when the host records limits but does not enforce them', () => {
    const decision = admitInstall({
      manifest: { id: 'hello', resources: { memory: 64 * MIB, pids: 128 } },
      installed: [],
      capacity: enforcedHost({
        enforcement: { cgroupVersion: 'v1', memory: false, cpu: false, pids: false, reason: 'v1' },
      }),
      budget: DEFAULT_BUDGET,
    });
    expect(decision.ok).toBe(true);
    expect(decision.ok && decision.warnings).toEqual([
      expect.stringMatching(
        /^this host runs cgroups v1, where rootless Podman ignores resource limits: the memory and pids limits of hello are recorded but not enforced; boot with cgroup v2/,
      ),
    ]);
  });

  it('names only the controllers a cgroup v2 host does not delegate', () => {
    const decision = admitInstall({
      manifest: { id: 'hello', resources: { memory: 64 * MIB, cpus: 0.5, pids: 64 } },
      installed: [],
      capacity: enforcedHost({ enforcement: { cgroupVersion: 'v2', memory: true, cpu: false, pids: true } }),
      budget: DEFAULT_BUDGET,
    });
    expect(decision.ok && decision.warnings).toEqual([
      expect.stringMatching(
        /^the cpu cgroup controller is not delegated .*: the cpu limits of hello are recorded/,
      ),
    ]);
  });

  it('warns about an app that declares no memory at all, or more than the host has', () => {
    const none = admitInstall({
      manifest: { id: 'x', resources: {} },
      installed: [],
      capacity: enforcedHost(),
      budget: DEFAULT_BUDGET,
    });
    expect(none.ok && none.warnings).toEqual([
      expect.stringContaining('x declares no memory limit or reservation'),
    ]);
    const huge = admitInstall({
      manifest: { id: 'x', resources: { memory: 16 * GIB, memoryReservation: MIB, cpus: 8 } },
      installed: [],
      capacity: enforcedHost(),
      budget: DEFAULT_BUDGET,
    });
    expect(huge.ok && huge.warnings).toEqual([
      "x's memory limit (16.0 GiB) is more than the host's RAM (8.0 GiB); it will swap or be killed before reaching it",
      'x asks for 8 CPUs and the host has 4; it gets at most 4',
    ]);
  });
});

describe('assertAdmitted', () => {
  it('returns the warnings or throws an InsufficientResources error with the reason', () => {
    expect(assertAdmitted({ ok: true, warnings: ['w'] })).toEqual(['w']);
    let thrown: unknown;
    try {
      assertAdmitted({ ok: false, reason: 'not enough memory for x' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ArchyError);
    expect(thrown).toMatchObject({
      code: RpcErrorCode.InsufficientResources,
      message: 'not enough memory for x',
    });
  });
});
