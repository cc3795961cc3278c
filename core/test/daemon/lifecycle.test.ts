import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { AppHealth, AppStatus } from '../../src/api/contract.js';
import { freePort, httpGet, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { writeHelloManifest } from './manifests.js';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

describe('app lifecycle through archy and the daemon (real rootless Podman)', () => {
  let daemon: TestDaemon;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDataDir('lifecycle');
    daemon = await startDaemon({ dataDir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('installs the bundled example app as written: the node builds its image, and it answers on its port', async () => {
    // apps/hello names no registry: this node builds its image (build:) under a production name,
    // localhost/archipelago/hello. Made here, it goes again when the test ends, passed or failed.
    const manifest = join(REPO_ROOT, 'apps/hello/manifest.yml');
    const { image } = parse(readFileSync(manifest, 'utf8')) as { image: string };
    const existed = await podman(['image', 'exists', image]).then(
      () => true,
      () => false,
    );
    onTestFinished(async () => {
      await daemon.cli(['remove', 'hello', '--purge', '--yes']);
      if (!existed) await podman(['rmi', image]).catch(() => undefined);
    });
    const install = await daemon.cli(['install', manifest, '--json']);
    expect(install.stderr).toBe('');
    expect(install.code).toBe(0);
    const status = JSON.parse(install.stdout) as AppStatus;
    expect(status).toMatchObject({ id: 'hello', version: '1.0.0', state: 'running', health: 'healthy' });

    const answer = await httpGet('http://127.0.0.1:18080/');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('hello from 1.0.0');

    // The contract's status shape, and the per-app config file of the data layout.
    const shown = await daemon.cliJson<AppStatus>(['status', 'hello']);
    expect(shown).toMatchObject({ id: 'hello', version: '1.0.0', state: 'running', health: 'healthy' });
    expect(JSON.parse(readFileSync(join(dataDir, 'app-configs', 'hello.json'), 'utf8'))).toEqual({
      autoUpdate: false,
      schemaVersion: 1,
    });
    const inspect = JSON.parse(await podman(['inspect', 'archy-hello']))[0];
    expect(inspect.Config.Env).toContain('KEY=value');
    expect(inspect.Config.Labels['io.archipelago.data-dir']).toBe(dataDir);
    expect(Object.keys(inspect.NetworkSettings.Networks)).toEqual(['archy-hello']);

    const removed = await daemon.cli(['remove', 'hello', '--purge', '--yes']);
    expect(removed.code).toBe(0);
  });

  it('stops and starts an app, keeping the same container and its data', async () => {
    const id = uniqueAppId('stopstart');
    const port = await freePort();
    await daemon.cliJson(['install', writeHelloManifest(dataDir, { id, hostPort: port })]);
    const before = await daemon.cliJson<AppStatus>(['status', id]);

    const stopped = await daemon.cliJson<AppStatus>(['stop', id]);
    expect(stopped).toMatchObject({ state: 'stopped', desired: 'stopped' });
    await expect(httpGet(`http://127.0.0.1:${port}/`, 1000)).rejects.toThrow();

    const started = await daemon.cliJson<AppStatus>(['start', id]);
    expect(started.state === 'running' || started.state === 'starting').toBe(true);
    expect(started.containerId).toBe(before.containerId);
    await waitFor(async () => (await httpGet(`http://127.0.0.1:${port}/`, 1000)).status === 200, {
      what: 'the app to answer after start',
    });
    const healthy = await waitFor(
      async () => {
        const health = await daemon.cliJson<AppHealth>(['health', id]);
        return health.status === 'healthy' ? health : undefined;
      },
      { what: `${id} to report healthy` },
    );
    expect(healthy.probes[0]).toMatchObject({ ok: true, detail: 'HTTP 200 from :8080/' });

    const restarted = await daemon.cliJson<AppStatus>(['restart', id]);
    expect(restarted.containerId).toBe(before.containerId);
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('remove keeps the data; remove --purge --yes deletes it; --purge alone is refused', async () => {
    const id = uniqueAppId('keepdata');
    const port = await freePort();
    const manifest = writeHelloManifest(dataDir, { id, hostPort: port });
    await daemon.cliJson(['install', manifest]);
    // Written from inside the container, through the app's volume.
    await podman(['exec', `archy-${id}`, 'sh', '-c', 'echo precious > /data/wallet.dat']);
    const walletOnHost = join(dataDir, 'apps', id, 'data', 'wallet.dat');
    // The app runs as a non-root user, which owns its volume as a sub-uid of the daemon's user:
    // the host side is read in the rootless user namespace.
    const readWallet = () => podman(['unshare', 'cat', walletOnHost]);
    const walletKept = () =>
      podman(['unshare', 'test', '-f', walletOnHost]).then(
        () => true,
        () => false,
      );
    expect(await readWallet()).toBe('precious\n');

    const removed = await daemon.cliJson<{ purged: boolean }>(['remove', id]);
    expect(removed.purged).toBe(false);
    expect(await readWallet()).toBe('precious\n');
    expect(
      (await podman(['ps', '-a', '--filter', `name=^archy-${id}$`, '--format', '{{.Names}}'])).trim(),
    ).toBe('');

    // Reinstalling finds the data where it was left.
    await daemon.cliJson(['install', manifest]);
    expect((await podman(['exec', `archy-${id}`, 'cat', '/data/wallet.dat'])).trim()).toBe('precious');

    const refused = await daemon.cli(['remove', id, '--purge']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--yes/);
    expect(await walletKept()).toBe(true);

    const purged = await daemon.cliJson<{ purged: boolean }>(['remove', id, '--purge', '--yes']);
    expect(purged.purged).toBe(true);
    expect(existsSync(join(dataDir, 'apps', id))).toBe(false);
    expect(existsSync(join(dataDir, 'app-configs', `${id}.json`))).toBe(false);
  });

  it('shows logs, and follows them live', async () => {
    const id = uniqueAppId('logs');
    const port = await freePort();
    const manifest = writeHelloManifest(dataDir, { id, hostPort: port });
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').replace(
        'exec httpd -f -p 8080 -h /www',
        'echo started; echo oops >&2; httpd -p 8080 -h /www; while sleep 0.2; do if [ -f /data/say ]; then cat /data/say; rm /data/say; fi; done',
      ),
    );
    await daemon.cliJson(['install', manifest]);
    const logs = await daemon.cli(['logs', id, '--tail', '10']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('started');
    expect(logs.stdout + logs.stderr).toContain('oops');

    const follower = daemon.spawnCli(['logs', id, '--follow', '--tail', '1']);
    let followed = '';
    follower.stdout?.on('data', (chunk: Buffer) => (followed += chunk.toString()));
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Into the app's volume as the app's user (the daemon's user cannot write there).
      await podman(['exec', `archy-${id}`, 'sh', '-c', 'echo said-later > /data/say']);
      await waitFor(() => followed.includes('said-later'), { what: 'a line written after --follow started' });
    } finally {
      follower.kill('SIGINT');
    }
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });
});
