import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerCreateSpec } from '../../src/podman/index.js';
import { PodmanTransport } from '../../src/podman/transport.js';
import {
  createPodmanSecret,
  envSecretModeFor,
  generatePassword,
  podmanSecretName,
  prepareSecretInjection,
  Redactor,
  removePodmanSecrets,
  SecretStore,
  withEnvFromSecretFiles,
} from '../../src/security/secrets/index.js';
import { podman } from '../support/podman-cli.js';
import {
  helloImage,
  startTestPodman,
  tempDataDir,
  testLabels,
  uniqueAppId,
  type TestPodman,
} from '../support/index.js';

let pm: TestPodman;
let raw: PodmanTransport;
let podmanVersion: string;

beforeAll(async () => {
  pm = await startTestPodman();
  raw = new PodmanTransport(pm.socketPath);
  podmanVersion = (await pm.client.info()).version;
  await pm.client.pullImage(helloImage('1.0.0'), { tlsVerify: false });
});

afterAll(async () => {
  await raw?.close();
  await pm?.stop();
});

/**
 * Creates a container whose spec may carry `secret_env`. ContainerCreateSpec does not list that
 * libpod field yet (and PodmanClient.createContainer refuses fields it does not list), so this
 * posts the body through the transport directly — exactly what the orchestrator would send.
 */
async function createContainer(
  spec: ContainerCreateSpec & { secret_env?: Record<string, string> },
): Promise<string> {
  const answer = await raw.json<{ Id: string }>('POST', '/libpod/containers/create', { body: spec });
  return answer.Id;
}

/** Runs the container to completion and returns its output lines. */
async function runToEnd(id: string): Promise<string[]> {
  await pm.client.startContainer(id);
  expect(await pm.client.waitContainer(id, { timeoutMs: 20_000 })).toBe(0);
  const lines: string[] = [];
  for await (const line of pm.client.containerLogs(id)) lines.push(line.line);
  return lines;
}

/** Everything Podman tells about the container and the secret, for searching. */
async function podmansAccount(id: string, podmanName: string): Promise<Array<[string, string]>> {
  return [
    ['libpod inspect', JSON.stringify(await pm.client.inspectContainer(id))],
    ['podman inspect', await podman(['inspect', id])],
    ['podman secret inspect', await podman(['secret', 'inspect', podmanName])],
    ['podman ps', await podman(['ps', '-a', '--no-trunc', '--filter', `id=${id}`])],
  ];
}

const READER =
  'cat /run/secrets/rpcpassword; echo; printf "env=%s\\n" "$RPC_PASSWORD"; ls -ln /run/secrets/rpcpassword';

describe('secrets injected into real containers', () => {
  it('reach the app as a file and as env (from the file), and never show in podman inspect', async () => {
    const dataDir = tempDataDir('secrets');
    const redactor = new Redactor();
    const store = new SecretStore(dataDir, { redactor });
    const appId = uniqueAppId('secret-inject');
    const value = await store.ensure(appId, 'rpcpassword', () => generatePassword());

    const injection = await prepareSecretInjection(
      pm.client,
      store,
      appId,
      [{ name: 'rpcpassword', file: { uid: 1000, gid: 1000, mode: 0o400 }, env: 'RPC_PASSWORD' }],
      { labels: testLabels(), envMode: 'files' },
    );
    const podmanName = podmanSecretName(appId, 'rpcpassword');
    expect(injection).toEqual({
      spec: { secrets: [{ Source: podmanName, Target: 'rpcpassword', UID: 1000, GID: 1000, Mode: 0o400 }] },
      envFromFiles: { RPC_PASSWORD: '/run/secrets/rpcpassword' },
    });

    const id = await createContainer({
      name: uniqueAppId('secret-reader'),
      image: helloImage('1.0.0'),
      labels: testLabels(),
      user: '1000:1000',
      entrypoint: withEnvFromSecretFiles(['/bin/sh', '-c', READER], injection.envFromFiles),
      command: [],
      ...injection.spec,
    });
    try {
      const lines = await runToEnd(id);
      expect(lines[0]).toBe(value);
      expect(lines[1]).toBe(`env=${value}`);
      expect(lines[2]).toMatch(/^-r--------\s+1\s+1000\s+1000\s/);

      // Searched: the value must be nowhere in what Podman tells about the container or secret.
      const account = await podmansAccount(id, podmanName);
      for (const [where, text] of account) {
        expect(text.includes(value), `${where} shows the secret`).toBe(false);
        redactor.assertNoSecrets(text, where);
      }
      // ...and the search looked in the right place: inspect does name the secret and the env.
      expect(account[1]![1]).toContain(podmanName);
      expect(account[1]![1]).toContain('RPC_PASSWORD');
    } finally {
      await pm.client.removeContainer(id, { force: true });
    }

    expect(await removePodmanSecrets(pm.client, appId, testLabels())).toEqual([podmanName]);
    expect(await pm.client.inspectSecret(podmanName)).toBeUndefined();
    // The encrypted copy outlives the Podman secret: the next container gets the same value.
    expect(await new SecretStore(dataDir).get(appId, 'rpcpassword')).toBe(value);
  });

  it(`secret_env works, but Podman before 5.3 prints it in inspect — so 'files' is the mode there`, async () => {
    const store = new SecretStore(tempDataDir('secrets-env'));
    const appId = uniqueAppId('secret-env');
    const value = await store.ensure(appId, 'rpcpassword', () => generatePassword());
    const injection = await prepareSecretInjection(
      pm.client,
      store,
      appId,
      [{ name: 'rpcpassword', file: {}, env: 'RPC_PASSWORD' }],
      { labels: testLabels(), envMode: 'secret_env' },
    );
    const podmanName = podmanSecretName(appId, 'rpcpassword');
    expect(injection).toEqual({
      spec: {
        secrets: [{ Source: podmanName, Target: 'rpcpassword' }],
        secret_env: { RPC_PASSWORD: podmanName },
      },
      envFromFiles: {},
    });
    const id = await createContainer({
      name: uniqueAppId('secret-env-reader'),
      image: helloImage('1.0.0'),
      labels: testLabels(),
      command: ['/bin/sh', '-c', READER],
      ...injection.spec,
    });
    try {
      const lines = await runToEnd(id);
      expect(lines.slice(0, 2)).toEqual([value, `env=${value}`]);
      const inspect = await podman(['inspect', id]);
      const hidden = envSecretModeFor(podmanVersion) === 'secret_env';
      // If this flips on a newer Podman, envSecretModeFor's version threshold needs checking.
      expect(inspect.includes(value), `Podman ${podmanVersion}: secret_env value in inspect`).toBe(!hidden);
    } finally {
      await pm.client.removeContainer(id, { force: true });
      await removePodmanSecrets(pm.client, appId, testLabels());
    }
  });

  it('replaces an existing Podman secret of the same name, labelled with the app and secret', async () => {
    const store = new SecretStore(tempDataDir('secrets-replace'));
    const appId = uniqueAppId('secret-replace');
    await store.set(appId, 'token', generatePassword());
    const name = await createPodmanSecret(pm.client, store, appId, 'token', testLabels());
    const firstId = (await pm.client.inspectSecret(name))?.id;
    await store.set(appId, 'token', generatePassword());
    expect(await createPodmanSecret(pm.client, store, appId, 'token', testLabels())).toBe(name);
    const second = await pm.client.inspectSecret(name);
    expect(second?.id).not.toBe(firstId);
    expect(second?.labels).toMatchObject({
      ...testLabels(),
      'io.archipelago.app': appId,
      'io.archipelago.secret': 'token',
    });
    await expect(createPodmanSecret(pm.client, store, appId, 'missing', testLabels())).rejects.toThrow(
      /has no stored secret 'missing'/,
    );
    expect(await removePodmanSecrets(pm.client, appId, testLabels())).toEqual([name]);
  });
});
