import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enforcementFromPodman, readCgroupEnforcement } from './enforcement.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'archy-cgroup-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('enforcementFromPodman', () => {
  it('passes on what Podman enforces and explains a v1 host', () => {
    const v1 = enforcementFromPodman({
      rootless: true,
      cgroupVersion: 'v1',
      cgroupControllers: [],
      limitsEnforced: { memory: false, cpu: false, pids: false },
    });
    expect(v1).toEqual({
      cgroupVersion: 'v1',
      memory: false,
      cpu: false,
      pids: false,
      reason: expect.stringMatching(
        /^this host runs cgroups v1, where rootless Podman ignores resource limits; boot with cgroup v2/,
      ),
    });
  });

  it('names the undelegated controllers on v2, and gives no reason when all are enforced', () => {
    const partial = enforcementFromPodman({
      rootless: true,
      cgroupVersion: 'v2',
      cgroupControllers: ['memory', 'pids'],
      limitsEnforced: { memory: true, cpu: false, pids: true },
    });
    expect(partial.reason).toMatch(
      /^the cpu cgroup controller is not delegated to the daemon's user; delegate it/,
    );
    const full = enforcementFromPodman({
      rootless: true,
      cgroupVersion: 'v2',
      cgroupControllers: ['cpu', 'memory', 'pids'],
      limitsEnforced: { memory: true, cpu: true, pids: true },
    });
    expect(full).toEqual({ cgroupVersion: 'v2', memory: true, cpu: true, pids: true });
  });
});

describe('readCgroupEnforcement', () => {
  it('sees a hybrid or v1 host (no cgroup.controllers at the root) as unenforced for a rootless user', async () => {
    await mkdir(join(root, 'unified'));
    await writeFile(join(root, 'unified', 'cgroup.controllers'), '');
    const enforcement = await readCgroupEnforcement({ cgroupRoot: root, uid: 1000, selfCgroup: '0::/\n' });
    expect(enforcement).toMatchObject({ cgroupVersion: 'v1', memory: false, cpu: false, pids: false });
    expect(await readCgroupEnforcement({ cgroupRoot: root, uid: 0 })).toEqual({
      cgroupVersion: 'v1',
      memory: true,
      cpu: true,
      pids: true,
    });
  });

  it("reads the controllers delegated to the user's systemd manager on v2", async () => {
    await writeFile(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma\n');
    const manager = join(root, 'user.slice', 'user-1000.slice', 'user@1000.service');
    await mkdir(manager, { recursive: true });
    await writeFile(join(manager, 'cgroup.controllers'), 'memory pids\n');
    expect(await readCgroupEnforcement({ cgroupRoot: root, uid: 1000, selfCgroup: '0::/x\n' })).toMatchObject(
      {
        cgroupVersion: 'v2',
        memory: true,
        cpu: false,
        pids: true,
        reason: expect.stringContaining('the cpu cgroup controller is not delegated'),
      },
    );
  });

  it("falls back to the process's own cgroup without systemd (OpenRC)", async () => {
    await writeFile(join(root, 'cgroup.controllers'), 'cpu memory pids\n');
    await mkdir(join(root, 'archy'), { recursive: true });
    await writeFile(join(root, 'archy', 'cgroup.controllers'), 'cpu memory pids\n');
    expect(await readCgroupEnforcement({ cgroupRoot: root, uid: 1000, selfCgroup: '0::/archy\n' })).toEqual({
      cgroupVersion: 'v2',
      memory: true,
      cpu: true,
      pids: true,
    });
  });
});
