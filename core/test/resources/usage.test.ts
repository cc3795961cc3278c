import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../../src/api/contract.js';
import type { PodmanInfo } from '../../src/podman/index.js';
import {
  DEFAULT_BUDGET,
  ResourceManager,
  enforcementFromPodman,
  type ResourceApp,
} from '../../src/resources/index.js';
import {
  helloImage,
  startTestPodman,
  tempDataDir,
  testLabels,
  uniqueAppId,
  waitFor,
  type TestPodman,
} from '../support/index.js';

const MIB = 1024 ** 2;
const MEMORY_LIMIT = 64 * MIB;

let pm: TestPodman;
let info: PodmanInfo;
let dataDir: string;
let app: ResourceApp & { containerId: string };
let manager: ResourceManager;

beforeAll(async () => {
  pm = await startTestPodman();
  await pm.client.pullImage(helloImage('1.0.0'), { tlsVerify: false });
  info = await pm.client.info();

  dataDir = tempDataDir('resources');
  const id = uniqueAppId('usage');
  mkdirSync(join(dataDir, 'apps', id), { recursive: true });
  const { id: containerId } = await pm.client.createContainer({
    name: id,
    image: helloImage('1.0.0'),
    // 2 MiB of real data in the data dir, then a long-running server.
    command: [
      '/bin/sh',
      '-c',
      'dd if=/dev/zero of=/data/blob bs=1024 count=2048 && sync && exec httpd -f -p 8080 -h /www',
    ],
    labels: testLabels(),
    mounts: [{ Type: 'bind', Source: join(dataDir, 'apps', id), Destination: '/data', Options: ['rw', 'U'] }],
    netns: { nsmode: 'none' },
    resource_limits: { memory: { limit: MEMORY_LIMIT }, pids: { limit: 64 } },
    restart_policy: 'no',
  });
  app = { id, containerId, resources: { memory: MEMORY_LIMIT, pids: 64 } };
  await pm.client.startContainer(containerId);
  await waitFor(async () => (await pm.client.inspectContainer(containerId))?.State.Running, {
    what: 'the usage container to run',
  });

  manager = new ResourceManager({
    source: { list: async () => [app] },
    podman: pm.client,
    dataDir,
    budget: DEFAULT_BUDGET,
  });
});

afterAll(async () => {
  if (app) await pm.client.removeContainer(app.containerId, { force: true }).catch(() => undefined);
  await pm?.stop();
});

describe('resource report against real Podman', () => {
  it("reports a running container's memory (from /proc where Podman has no cgroup stats) and its data-dir size", async () => {
    // The blob is written before httpd starts; wait for it to be all there.
    const report = await waitFor(
      async () => {
        const r = await manager.report();
        return r.apps[0]!.diskBytes >= 2 * MIB && r;
      },
      { what: 'the 2 MiB blob to be counted in the data dir', timeoutMs: 20_000 },
    );
    const usage = report.apps[0]!;
    expect(usage.id).toBe(app.id);
    expect(usage.memoryBytes).toBeGreaterThan(0);
    expect(usage.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(usage.memoryLimitBytes).toBe(MEMORY_LIMIT);
    // Rootless Podman has no stats on cgroups v1 (this machine): the numbers come from /proc.
    if (info.rootless && info.cgroupVersion === 'v1') expect(usage.source).toBe('proc');

    const { memory, cpu, pids } = info.limitsEnforced;
    expect(report.capacity.enforcement).toEqual(enforcementFromPodman(info));
    expect(report.capacity.enforcement).toMatchObject({ memory, cpu, pids });
    expect(report.capacity.disk.path).toBe(dataDir);
    expect(report.allocated).toEqual({ memoryBytes: MEMORY_LIMIT, diskMinBytes: 0 });
    expect(report.budget.memoryBudgetBytes).toBe(Math.floor(report.capacity.memoryBytes * 0.8));
  });

  it('shows in podman inspect the memory limit the host enforces (0 where it ignores limits)', async () => {
    const inspect = await pm.client.inspectContainer(app.containerId);
    expect(inspect?.HostConfig.Memory).toBe(info.limitsEnforced.memory ? MEMORY_LIMIT : 0);
    // And admission says so, without refusing.
    const warnings = await manager.admit({ id: 'another', resources: { memory: MEMORY_LIMIT } });
    if (info.limitsEnforced.memory) expect(warnings).toEqual([]);
    else
      expect(warnings).toEqual([
        expect.stringContaining('the memory limits of another are recorded but not enforced'),
      ]);
  });

  it('refuses an install that would overcommit the memory budget, with the numbers', async () => {
    const capacity = await manager.capacity();
    const tooMuch = capacity.memoryBytes; // more than 80% of RAM on top of what is installed
    await expect(
      manager.admit({ id: 'oversized', resources: { memoryReservation: tooMuch } }),
    ).rejects.toMatchObject({
      code: RpcErrorCode.InsufficientResources,
      message: expect.stringMatching(
        /^not enough memory for oversized: it reserves [\d.]+ GiB, installed apps reserve 64\.0 MiB, and the budget is [\d.]+ GiB \(80% of [\d.]+ GiB\)/,
      ),
    });
  });

  it('gives no CPU or memory for a stopped app, still its disk', async () => {
    await pm.client.stopContainer(app.containerId, 2);
    const [usage] = (await manager.report()).apps;
    expect(usage).toMatchObject({ id: app.id, source: expect.any(String) });
    expect(usage?.memoryBytes).toBeUndefined();
    expect(usage?.cpuPercent).toBeUndefined();
    expect(usage?.diskBytes).toBeGreaterThanOrEqual(2 * MIB);
  });
});
