// A user manifest whose volume has `seed:` (real daemon, real rootless Podman): the install copies
// the seed folder's files into the new volume before the container is made, the container's user
// owns them (Podman's U option) and can write them; a reinstall onto kept data leaves the kept
// files alone; a seed holding a symbolic link is refused and leaves nothing behind.

import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { helloImage, tempDataDir, uniqueAppId } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { expectNothingLeft } from './leftovers.js';

/** Writes `<dir>/<id>/manifest.yml` with a volume seeded from `seed/data`, and the seed's files. */
function writeSeededApp(dir: string, id: string): string {
  const appDir = join(dir, id);
  mkdirSync(join(appDir, 'seed', 'data', 'bin'), { recursive: true });
  writeFileSync(join(appDir, 'seed', 'data', 'settings.yml'), 'shipped: true\n', { mode: 0o644 });
  writeFileSync(join(appDir, 'seed', 'data', 'bin', 'start.sh'), '#!/bin/sh\necho started\n', {
    mode: 0o755,
  });
  const manifest = join(appDir, 'manifest.yml');
  writeFileSync(
    manifest,
    [
      `id: ${id}`,
      `name: Seeded ${id}`,
      'version: "1.0.0"',
      `image: ${helloImage('1.0.0')}`,
      // Each start appends a line: proves the container's user can write the seeded file.
      'command: ["/bin/sh", "-c", "/data/bin/start.sh >> /data/settings.yml && exec httpd -f -p 8080 -h /www"]',
      'security: { user: "1000:1000" }',
      'volumes:',
      '  - { mount: /data, seed: seed/data }',
      'stopTimeout: 2s',
      'health:',
      '  http: { port: 8080, path: / }',
      '  interval: 1s',
      '',
    ].join('\n'),
  );
  return manifest;
}

const inContainer = (id: string, ...command: string[]): Promise<string> =>
  podman(['exec', `archy-${id}`, ...command]);

describe('a volume seeded from the manifest folder (real daemon, rootless Podman)', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('volume-seed');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('installs with the seeded files owned by the container user, writable; a reinstall keeps the kept files', async () => {
    const id = uniqueAppId('seeded');
    onTestFinished(async () => {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    });
    const manifest = writeSeededApp(join(dir, 'sources'), id);
    const status = await daemon.cliJson<AppStatus>(['install', manifest]);
    expect(status).toMatchObject({ id, state: 'running', health: 'healthy' });

    expect(await inContainer(id, 'cat', '/data/settings.yml')).toBe('shipped: true\nstarted\n');
    expect((await inContainer(id, 'stat', '-c', '%u:%g %a', '/data/settings.yml')).trim()).toBe(
      '1000:1000 644',
    );
    expect((await inContainer(id, 'stat', '-c', '%u:%g %a', '/data/bin/start.sh')).trim()).toBe(
      '1000:1000 755',
    );
    expect((await inContainer(id, 'stat', '-c', '%u:%g', '/data/bin', '/data')).trim().split('\n')).toEqual([
      '1000:1000',
      '1000:1000',
    ]);

    // Removed with its data kept; the seed changes meanwhile: the reinstall runs on the kept files.
    const removed = await daemon.cli(['remove', id, '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    writeFileSync(join(dir, 'sources', id, 'seed', 'data', 'settings.yml'), 'shipped: again\n');
    writeFileSync(join(dir, 'sources', id, 'seed', 'data', 'new-file'), 'new\n');
    const again = await daemon.cliJson<AppStatus>(['install', manifest]);
    expect(again).toMatchObject({ id, state: 'running', health: 'healthy' });
    expect(await inContainer(id, 'cat', '/data/settings.yml')).toBe('shipped: true\nstarted\nstarted\n');
    expect((await inContainer(id, 'ls', '/data')).trim().split('\n')).toEqual(['bin', 'settings.yml']);
  });

  it('refuses a seed holding a symbolic link, naming it, and leaves nothing', async () => {
    const id = uniqueAppId('seedlink');
    const manifest = writeSeededApp(join(dir, 'sources'), id);
    const link = join(dir, 'sources', id, 'seed', 'data', 'secrets');
    symlinkSync(join(dir, 'secrets'), link);
    const install = await daemon.cli(['install', manifest]);
    expect(install.code).not.toBe(0);
    expect(install.stderr).toContain(
      `${link} is a symbolic link; the seed of volume 'data' of '${id}' copies only regular files and folders of the app's folder`,
    );
    await expectNothingLeft(daemon, id);
  });

  it('refuses a seeded manifest sent without its folder, and leaves nothing', async () => {
    const id = uniqueAppId('seedrpc');
    const manifest = writeSeededApp(join(dir, 'sources'), id);
    const token = readFileSync(join(daemon.dataDir, '.cookie'), 'utf8').trim();
    const call = await fetch(`${daemon.url}/rpc/v1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'container-install',
        params: { manifest: readFileSync(manifest, 'utf8'), manifestFile: 'manifest.yml' },
      }),
    });
    const answer = (await call.json()) as { error?: { message: string } };
    expect(answer.error?.message).toContain('install it from its file');
    await expectNothingLeft(daemon, id);
  });
});
