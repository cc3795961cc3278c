import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodmanError, type ContainerCreateSpec } from '../../src/podman/index.js';
import { podman } from '../support/podman-cli.js';
import { helloImage, startTestPodman, testLabels, uniqueAppId, type TestPodman } from '../support/index.js';

let pm: TestPodman;

beforeAll(async () => {
  pm = await startTestPodman();
  await pm.client.pullImage(helloImage('1.0.0'), { tlsVerify: false });
});

afterAll(async () => {
  await pm?.stop();
});

async function runOn(
  network: string,
  name: string,
  extra: Partial<ContainerCreateSpec> = {},
): Promise<string> {
  const { id } = await pm.client.createContainer({
    name,
    image: helloImage('1.0.0'),
    labels: testLabels(),
    netns: { nsmode: 'bridge' },
    Networks: { [network]: { aliases: [`${name}-alias`] } },
    stop_timeout: 1,
    ...extra,
  });
  await pm.client.startContainer(id);
  return id;
}

/** Fetches a URL from inside a container, bounded from outside (busybox `wget -T` segfaults). */
async function fetchInside(id: string, url: string): Promise<string> {
  try {
    const result = await pm.client.execContainer(id, ['wget', '-q', '-O-', url], { timeoutMs: 4000 });
    return result.exitCode === 0 ? result.stdout : `exit ${result.exitCode}: ${result.stderr.trim()}`;
  } catch (err) {
    if (err instanceof PodmanError && err.status === 0) return 'timed out';
    throw err;
  }
}

/**
 * netavark 1.4 (Debian 12) enforces `isolate` with a FORWARD → NETAVARK_ISOLATION_1 jump in the
 * rootless network namespace, and deletes that jump whenever the last container of ANY isolated
 * network is torn down, leaving every other isolated network open until a container starts on
 * one again. Other test runs on this machine tear networks down at any time, so a probe that got
 * through while the jump was missing is retried after restarting the prober (its network setup
 * re-adds the jump); a probe that got through while the jump was present fails the test.
 */
async function fetchAcrossIsolation(prober: string, url: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const jumpBefore = await isolationJumpPresent();
    const answer = await fetchInside(prober, url);
    if (!answer.includes('hello')) return answer;
    const jumpAfter = await isolationJumpPresent();
    if ((jumpBefore && jumpAfter) || attempt === 3) {
      throw new Error(
        `isolated networks leaked: ${url} answered across networks (isolation jump present: ${jumpBefore}/${jumpAfter})`,
      );
    }
    await pm.client.restartContainer(prober, 1);
  }
}

/**
 * Fetches `url` (a container name on a shared network) until it answers `expected`.
 * aardvark-dns 1.4 closes and re-binds every listener on each SIGHUP, and netavark sends one
 * whenever any container on any network starts or stops — other test runs do that all the time —
 * so a name can stay unanswered for seconds (containers/aardvark-dns#389). Halfway through, the
 * client is restarted once: its network setup re-registers it and re-signals aardvark-dns. The
 * error on timeout keeps the client's last answer, so a real DNS failure still says what it was.
 */
async function fetchByName(client: string, url: string, expected: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let restarted = false;
  let last = '';
  while (Date.now() < deadline) {
    last = await fetchInside(client, url);
    if (last === expected) return;
    if (!restarted && deadline - Date.now() < 15_000) {
      restarted = true;
      await pm.client.restartContainer(client, 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer from ${client} within 30 s (restarted once); last answer: ${last}`);
}

async function isolationJumpPresent(): Promise<boolean> {
  const rules = await podman(['unshare', '--rootless-netns', 'iptables', '-S', 'FORWARD']);
  return rules.includes('-j NETAVARK_ISOLATION_1');
}

describe('networks', () => {
  it('resolves containers by name and alias on an isolated network and blocks other networks', async () => {
    const netA = uniqueAppId('neta');
    const netB = uniqueAppId('netb');
    const created = await pm.client.createNetwork({
      name: netA,
      labels: testLabels(),
      options: { isolate: 'true' },
    });
    expect(created).toMatchObject({ name: netA, dns_enabled: true, options: { isolate: 'true' } });
    await pm.client.createNetwork({ name: netB, labels: testLabels(), options: { isolate: 'true' } });
    expect((await pm.client.inspectNetwork(netA))?.labels).toMatchObject(testLabels());
    expect((await pm.client.listNetworks({ labels: testLabels() })).map((n) => n.name)).toEqual(
      expect.arrayContaining([netA, netB]),
    );

    const server = uniqueAppId('srv');
    const serverId = await runOn(netA, server);
    const neighbour = await runOn(netA, uniqueAppId('nbr'));
    const stranger = await runOn(netB, uniqueAppId('str'));
    try {
      const serverIp = (await pm.client.inspectContainer(serverId))?.NetworkSettings.Networks?.[netA]
        ?.IPAddress;
      expect(serverIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

      // Same network: by name and by alias (aardvark-dns may need a moment after start).
      await fetchByName(neighbour, `http://${server}:8080/`, 'hello from 1.0.0\n');
      await fetchByName(neighbour, `http://${server}-alias:8080/`, 'hello from 1.0.0\n');

      // Another isolated network: not even by IP.
      expect(await fetchAcrossIsolation(stranger, `http://${serverIp}:8080/`)).not.toContain('hello');
      expect(await fetchInside(stranger, `http://${server}:8080/`)).not.toContain('hello');

      // Linking the stranger into the network gives it the server, under an alias of its own.
      await pm.client.connectNetwork(netA, stranger, ['linked']);
      await fetchByName(stranger, `http://${server}:8080/`, 'hello from 1.0.0\n');
      await pm.client.disconnectNetwork(netA, stranger);
      expect(await fetchAcrossIsolation(stranger, `http://${serverIp}:8080/`)).not.toContain('hello');
    } finally {
      for (const id of [serverId, neighbour, stranger]) await pm.client.removeContainer(id, { force: true });
    }
    expect(await pm.client.removeNetwork(netA)).toBe(true);
    expect(await pm.client.removeNetwork(netB)).toBe(true);
    expect(await pm.client.removeNetwork(netB)).toBe(false);
    expect(await pm.client.inspectNetwork(netB)).toBeUndefined();
  });
});

describe('secrets', () => {
  it('stores a secret, mounts it as a file in a container, and removes it', async () => {
    const name = uniqueAppId('sec');
    const value = `rpcpassword=${Math.random().toString(36).slice(2)}`;
    const secretId = await pm.client.createSecret(name, value, {
      ...testLabels(),
      'io.archipelago.app': name,
    });
    expect(secretId).toMatch(/^[0-9a-f]+$/);
    const listed = await pm.client.listSecrets({ labels: { 'io.archipelago.app': name } });
    expect(listed.map((s) => s.name)).toEqual([name]);
    expect(listed[0]?.labels).toMatchObject(testLabels());

    const { id } = await pm.client.createContainer({
      name: uniqueAppId('reader'),
      image: helloImage('1.0.0'),
      labels: testLabels(),
      command: ['/bin/sh', '-c', `cat /run/secrets/${name}; echo; ls -ln /run/secrets/${name}`],
      user: '1000:1000',
      secrets: [{ Source: name, UID: 1000, GID: 1000, Mode: 0o400 }],
    });
    try {
      await pm.client.startContainer(id);
      expect(await pm.client.waitContainer(id, { timeoutMs: 20_000 })).toBe(0);
      const lines: string[] = [];
      for await (const line of pm.client.containerLogs(id)) lines.push(line.line);
      expect(lines[0]).toBe(value);
      expect(lines[1]).toMatch(/^-r--------\s+1\s+1000\s+1000\s/);
    } finally {
      await pm.client.removeContainer(id, { force: true });
    }
    expect(await pm.client.removeSecret(name)).toBe(true);
    expect(await pm.client.removeSecret(name)).toBe(false);
    expect(await pm.client.inspectSecret(name)).toBeUndefined();
  });
});
