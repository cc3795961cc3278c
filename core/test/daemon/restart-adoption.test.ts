import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { freePort, httpGet, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { writeHelloManifest } from './manifests.js';

const containerId = async (id: string) =>
  (await podman(['inspect', '--format', '{{.Id}}', `archy-${id}`])).trim();

describe('the daemon survives its own restart', () => {
  let dataDir: string;
  let daemon: TestDaemon;

  beforeAll(async () => {
    dataDir = tempDataDir('adoption');
    daemon = await startDaemon({ dataDir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('adopts running containers without recreating them, after SIGTERM and after SIGKILL', async () => {
    const running = uniqueAppId('adopt');
    const stopped = uniqueAppId('stayput');
    const port = await freePort();
    await daemon.cliJson(['install', writeHelloManifest(dataDir, { id: running, hostPort: port })]);
    await daemon.cliJson([
      'install',
      writeHelloManifest(dataDir, { id: stopped, hostPort: await freePort() }),
    ]);
    await daemon.cliJson(['stop', stopped]);
    const original = await containerId(running);

    for (const how of ['stop', 'kill'] as const) {
      await daemon[how]();
      // The app keeps serving while the daemon is down.
      expect((await httpGet(`http://127.0.0.1:${port}/`)).status).toBe(200);
      daemon = await startDaemon({ dataDir });
      expect(await containerId(running)).toBe(original);
      const status = await waitFor(
        async () => {
          const s = await daemon.cliJson<AppStatus>(['status', running]);
          return s.state === 'running' ? s : undefined;
        },
        { what: `${running} to be reported running after the ${how}` },
      );
      expect(status).toMatchObject({ health: 'healthy', containerId: original });
      // A user's stop is remembered across daemon restarts.
      expect(await daemon.cliJson<AppStatus>(['status', stopped])).toMatchObject({ state: 'stopped' });
    }

    await daemon.cli(['remove', running, '--purge', '--yes']);
    await daemon.cli(['remove', stopped, '--purge', '--yes']);
  });

  it('restarts an app that should be running but was stopped behind its back while the daemon was down', async () => {
    const id = uniqueAppId('revive');
    const port = await freePort();
    await daemon.cliJson(['install', writeHelloManifest(dataDir, { id, hostPort: port })]);
    const original = await containerId(id);
    await daemon.kill();
    await podman(['stop', '-t', '1', `archy-${id}`]);
    daemon = await startDaemon({ dataDir });
    await waitFor(async () => (await httpGet(`http://127.0.0.1:${port}/`, 1000)).status === 200, {
      what: 'the app to be started again by the reconcile at boot',
    });
    expect(await containerId(id)).toBe(original);
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('a SIGKILL in the middle of an install is rolled back at the next start', async () => {
    const id = uniqueAppId('halfway');
    const file = writeHelloManifest(dataDir, { id, hostPort: await freePort() });
    const install = daemon.cli(['install', file]);
    // Kill as soon as the install has written its record (before it completes).
    await waitFor(async () => (await import('node:fs')).existsSync(`${dataDir}/state/apps/${id}.json`), {
      what: 'the install to begin',
      intervalMs: 5,
    });
    await daemon.kill();
    await install;
    daemon = await startDaemon({ dataDir });
    const list = await daemon.cliJson<AppStatus[]>(['list']);
    expect(list.map((app) => app.id)).not.toContain(id);
    expect(
      (await podman(['ps', '-a', '--filter', `name=^archy-${id}$`, '--format', '{{.Names}}'])).trim(),
    ).toBe('');
    // And the app installs cleanly afterwards.
    const status = await daemon.cliJson<AppStatus>(['install', file]);
    expect(status.state).toBe('running');
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('a record that is not valid leaves that app alone at boot, names the file, and the others come up', async () => {
    const good = uniqueAppId('goodrec');
    const torn = uniqueAppId('tornrec');
    const port = await freePort();
    await daemon.cliJson(['install', writeHelloManifest(dataDir, { id: good, hostPort: port })]);
    await daemon.cliJson(['install', writeHelloManifest(dataDir, { id: torn, hostPort: await freePort() })]);
    const tornContainer = await containerId(torn);
    const file = `${dataDir}/state/apps/${torn}.json`;
    const record = readFileSync(file, 'utf8');
    await daemon.stop();
    writeFileSync(file, record.slice(0, record.length / 2)); // torn, as by a full disk
    try {
      daemon = await startDaemon({ dataDir });
      expect(daemon.log()).toContain(`${torn}.json is not valid JSON`);
      expect(daemon.log()).toContain('the app record is not valid; leaving the app alone');
      // Its container is not taken for a leftover of a crashed remove.
      expect(await containerId(torn)).toBe(tornContainer);
      // Adopted at boot, it reads "starting" until its health check passes again (as above).
      await waitFor(async () => (await daemon.cliJson<AppStatus>(['status', good])).state === 'running', {
        what: `${good} to be reported running at boot beside the torn record`,
        timeoutMs: 60_000,
      });
      const shown = await daemon.cli(['status', torn]);
      expect(shown.code).not.toBe(0);
      expect(shown.stderr).toContain('is not installed');
    } finally {
      await daemon.stop();
      writeFileSync(file, record);
      daemon = await startDaemon({ dataDir });
    }
    await daemon.cli(['remove', good, '--purge', '--yes']);
    await daemon.cli(['remove', torn, '--purge', '--yes']);
  });
});
