import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodmanError, type ContainerCreateSpec } from '../../src/podman/index.js';
import {
  crashImage,
  freePort,
  helloImage,
  httpGet,
  startTestPodman,
  tempDataDir,
  testLabels,
  uniqueAppId,
  waitFor,
  type TestPodman,
} from '../support/index.js';

let pm: TestPodman;
const created: string[] = [];

beforeAll(async () => {
  pm = await startTestPodman();
  await pm.client.pullImage(helloImage('1.0.0'), { tlsVerify: false });
  await pm.client.pullImage(crashImage(), { tlsVerify: false });
});

afterAll(async () => {
  for (const id of created) await pm.client.removeContainer(id, { force: true }).catch(() => undefined);
  await pm?.stop();
});

async function create(spec: Omit<ContainerCreateSpec, 'name'> & { name?: string }): Promise<string> {
  const name = spec.name ?? uniqueAppId('ctr');
  const { id } = await pm.client.createContainer({
    ...spec,
    name,
    labels: { ...testLabels(), ...spec.labels },
  });
  created.push(id);
  return id;
}

describe('container lifecycle', () => {
  it('creates a container whose spec takes effect, serves on its port, stops, restarts and is removed', async () => {
    const hostPort = await freePort();
    const dataDir = tempDataDir('ctr-data');
    const network = uniqueAppId('net');
    await pm.client.createNetwork({ name: network, labels: testLabels(), options: { isolate: 'true' } });
    const app = uniqueAppId('hello');
    const id = await create({
      name: app,
      image: helloImage('1.0.0'),
      command: [
        '/bin/sh',
        '-c',
        'echo started; echo to-stderr >&2; id -u > /data/uid; exec httpd -f -p 8080 -h /www',
      ],
      env: { GREETING: 'hi' },
      labels: { 'io.archipelago.app': app },
      portmappings: [{ container_port: 8080, host_port: hostPort, host_ip: '127.0.0.1', protocol: 'tcp' }],
      mounts: [
        { Type: 'bind', Source: dataDir, Destination: '/data', Options: ['rw', 'U'] },
        { Type: 'tmpfs', Source: 'tmpfs', Destination: '/scratch', Options: ['size=1m'] },
      ],
      netns: { nsmode: 'bridge' },
      Networks: { [network]: { aliases: ['hello-alias'] } },
      resource_limits: { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 128 } },
      stop_timeout: 2,
      user: '1000:1000',
      cap_drop: ['ALL'],
      no_new_privileges: true,
      healthconfig: {
        Test: ['CMD-SHELL', 'test -f /data/uid'],
        Interval: 0,
        Timeout: 5_000_000_000,
        Retries: 3,
      },
      init: true,
      restart_policy: 'no',
    });

    const before = await pm.client.inspectContainer(id);
    expect(before?.State.Status).toBe('created');
    expect(before?.Config.Labels).toMatchObject({ 'io.archipelago.app': app, ...testLabels() });
    expect(before?.HostConfig.PortBindings?.['8080/tcp']).toEqual([
      { HostIp: '127.0.0.1', HostPort: String(hostPort) },
    ]);
    expect(before?.NetworkSettings.Networks?.[network]?.Aliases).toContain('hello-alias');
    expect(before?.Config.User).toBe('1000:1000');
    expect(before?.HostConfig.Init).toBe(true);
    expect(before?.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(before?.HostConfig.CapDrop).toContain('CAP_CHOWN');
    expect(before?.HostConfig.Tmpfs).toHaveProperty('/scratch');
    expect(before?.Mounts.find((m) => m.Destination === '/data')?.Source).toBe(dataDir);
    const info = await pm.client.info();
    // Rootless on cgroup v1 accepts limits and drops them (inspect shows 0); v2 keeps them.
    expect(before?.HostConfig.Memory).toBe(info.limitsEnforced.memory ? 64 * 1024 * 1024 : 0);

    await pm.client.startContainer(id);
    await pm.client.startContainer(id); // already running: not an error
    const page = await waitFor(() => httpGet(`http://127.0.0.1:${hostPort}/`).catch(() => undefined), {
      what: 'the hello page on the published port',
    });
    expect(page.body).toBe('hello from 1.0.0\n');
    // `U` chowned the bind mount to the container user (uid 1000 maps to a subordinate uid on the host).
    expect(statSync(dataDir).uid).not.toBe(process.getuid!());
    const running = await pm.client.inspectContainer(id);
    expect(running?.State).toMatchObject({ Status: 'running', Running: true });
    expect(running?.State.Pid).toBeGreaterThan(0);

    const health = await pm.client.runHealthcheck(id);
    expect(health.Status).toBe('healthy');

    const exec = await pm.client.execContainer(id, [
      'sh',
      '-c',
      'echo $GREETING; cat /data/uid; echo oops >&2; exit 4',
    ]);
    expect(exec).toMatchObject({ exitCode: 4, stdout: 'hi\n1000\n', stderr: 'oops\n' });

    const startedAt = running!.State.StartedAt;
    await pm.client.restartContainer(id, 2);
    const restarted = await pm.client.inspectContainer(id);
    expect(restarted?.State.Running).toBe(true);
    expect(restarted?.State.StartedAt).not.toBe(startedAt);

    const listed = await pm.client.listContainers({ labels: { 'io.archipelago.app': app } });
    expect(listed.map((c) => c.Id)).toEqual([id]);
    expect(listed[0]?.Names).toEqual([app]);
    expect(await pm.client.listContainers({ labels: { 'io.archipelago.app': `${app}-nope` } })).toEqual([]);

    await pm.client.stopContainer(id, 2);
    await pm.client.stopContainer(id, 2); // already stopped (304): not an error
    expect((await pm.client.inspectContainer(id))?.State.Running).toBe(false);

    expect(await pm.client.removeContainer(id)).toBe(true);
    expect(await pm.client.removeContainer(id)).toBe(false);
    expect(await pm.client.inspectContainer(id)).toBeUndefined();
    expect(await pm.client.removeNetwork(network)).toBe(true);
  });

  it('restart honours the grace period instead of killing at once', async () => {
    // The shell ignores SIGTERM, so a restart must wait out the 2 s grace period, then SIGKILL.
    const id = await create({
      image: helloImage('1.0.0'),
      command: ['/bin/sh', '-c', "trap '' TERM; while true; do sleep 0.2; done"],
      stop_timeout: 1,
    });
    await pm.client.startContainer(id);
    const started = Date.now();
    await pm.client.restartContainer(id, 2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    // And stop's grace period is the one asked for, not the container's stop_timeout (1 s).
    const stopping = Date.now();
    await pm.client.stopContainer(id, 3);
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(2900);
    await pm.client.removeContainer(id, { force: true });
  });

  it('reports the exit code of a crashing container', async () => {
    const id = await create({ image: crashImage() });
    await pm.client.startContainer(id);
    expect(await pm.client.waitContainer(id, { timeoutMs: 20_000 })).toBe(3);
    const state = (await pm.client.inspectContainer(id))?.State;
    expect(state).toMatchObject({ Running: false, ExitCode: 3, OOMKilled: false });
    const lines = [];
    for await (const line of pm.client.containerLogs(id)) lines.push(line);
    expect(lines).toEqual([{ stream: 'stderr', line: 'crash: exiting with status 3 on purpose' }]);
  });

  it("fails with a PodmanError that carries Podman's message", async () => {
    const err = await pm.client
      .createContainer({ name: uniqueAppId('bad'), image: 'localhost/no-such-image:0', labels: testLabels() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodmanError);
    const pe = err as PodmanError;
    expect(pe.call).toBe('POST /libpod/containers/create');
    expect(pe.status).toBeGreaterThanOrEqual(400);
    expect(pe.message).toMatch(/^podman POST \/libpod\/containers\/create failed \(\d+\): .*no-such-image/);
  });

  it('refuses spec fields libpod would silently ignore', async () => {
    const spec = { name: 'x', image: helloImage('1.0.0'), memory_limit: 5 } as unknown as ContainerCreateSpec;
    await expect(pm.client.createContainer(spec)).rejects.toThrow(/memory_limit/);
  });
});

describe('container logs', () => {
  it('separates stdout from stderr and follows lines written after the call', async () => {
    const id = await create({
      image: helloImage('1.0.0'),
      command: ['/bin/sh', '-c', 'echo out-1; echo err-1 >&2; sleep 2; echo out-2; echo err-2 >&2; sleep 30'],
      stop_timeout: 1,
    });
    await pm.client.startContainer(id);
    const abort = new AbortController();
    const seen: { stream: string; line: string }[] = [];
    const followed = (async () => {
      for await (const line of pm.client.containerLogs(id, { follow: true, signal: abort.signal })) {
        seen.push(line);
        if (line.line === 'err-2') abort.abort();
      }
    })();
    await waitFor(() => seen.some((l) => l.line === 'err-2'), {
      timeoutMs: 15_000,
      what: 'followed log lines',
    });
    await followed;
    expect(seen).toEqual(
      expect.arrayContaining([
        { stream: 'stdout', line: 'out-1' },
        { stream: 'stderr', line: 'err-1' },
        { stream: 'stdout', line: 'out-2' },
        { stream: 'stderr', line: 'err-2' },
      ]),
    );
    const tail: string[] = [];
    for await (const line of pm.client.containerLogs(id, { tail: 1 })) tail.push(line.line);
    expect(tail).toHaveLength(1);
    await pm.client.removeContainer(id, { force: true });
  });
});
