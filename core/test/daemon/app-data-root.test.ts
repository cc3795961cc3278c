// App data lives in a root of its own (DATA_DIR/apps/<id>/), so no app id can name one of the
// daemon's folders — the class of `id: trust` + volume `image-keys`, which once mounted the node's
// image trust store read-write into the app (and `remove --purge` deleted it). Also: a node whose
// data is still in data layout 1 (DATA_DIR/<id>/) is migrated at daemon start, its containers
// recreated on the moved data; data found in both places stops the daemon with nothing lost.

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { parseManifest } from '../../src/manifest/index.js';
import { buildContainerSpec } from '../../src/orchestrator/container-spec.js';
import { DAEMON_FOLDERS, DataLayout } from '../../src/layout/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { freePort, helloImage, httpGet, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman, podmanJson } from '../support/podman-cli.js';
import { expectNothingLeft } from './leftovers.js';

const CORPUS_DIR = fileURLToPath(
  new URL('../security/hostile-manifests/daemon-folder-ids/', import.meta.url),
);
const corpus = readdirSync(CORPUS_DIR)
  .filter((file) => file.endsWith('.yml'))
  .sort()
  .map((file) => ({ file, text: readFileSync(join(CORPUS_DIR, file), 'utf8') }));

/** Every file under `dir` (relative paths), not descending into `skip` (app data the daemon can't list). */
function filesUnder(dir: string, skip: string): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch (error) {
      // Podman's own runtime folders under run/ may be private to its user namespace.
      if ((error as NodeJS.ErrnoException).code === 'EACCES') return;
      throw error;
    }
    for (const entry of entries) {
      const full = join(path, entry.name);
      if (full === skip) continue;
      if (entry.isDirectory()) walk(full);
      else found.push(relative(dir, full));
    }
  };
  walk(dir);
  return found;
}

describe('every app id that names a daemon folder gets its data under apps/ (in-process, whole corpus)', () => {
  const layout = new DataLayout('/srv/archy');

  it('the corpus names every daemon folder', () => {
    const ids = corpus.map(({ text }) => /^id: (.+)$/m.exec(text)![1]);
    expect(ids).toEqual(expect.arrayContaining([...DAEMON_FOLDERS]));
  });

  it.each(corpus.map((entry) => [entry.file, entry] as const))('%s', (_file, { file, text }) => {
    const manifest = parseManifest(text, file);
    const spec = buildContainerSpec(manifest, manifest.services[0]!, {
      layout,
      image: manifest.image,
      version: manifest.version,
    });
    const sources = (spec.mounts ?? []).filter((m) => m.Type === 'bind').map((m) => m.Source);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(source.startsWith(`/srv/archy/apps/${manifest.id}/`)).toBe(true);
      for (const folder of DAEMON_FOLDERS.filter((f) => f !== 'apps')) {
        expect(source.startsWith(`/srv/archy/${folder}/`)).toBe(false);
      }
    }
  });
});

// Ids exactly as the issue names them: Podman names (archy-trust, ...) are shared by every daemon of
// this user, so only these three are installed for real; the in-process test covers the rest.
const INSTALLED = ['trust', 'secrets', 'state'];

describe('an app named after a daemon folder, installed by a real daemon', () => {
  let daemon: TestDaemon;
  let dir: string;
  /** Files the test puts in the daemon's folders: each must be there, unchanged, at the end. */
  const sentinels: Record<string, string> = {
    'trust/image-keys/node.pub': 'the node trusts this key\n',
    'secrets/.sentinel': 'secrets\n',
    'state/apps/.sentinel': 'records\n',
  };

  beforeAll(async () => {
    dir = tempDataDir('app-data-root');
    for (const [path, text] of Object.entries(sentinels)) {
      mkdirSync(join(dir, path, '..'), { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, path), text);
    }
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const expectDaemonFoldersUntouched = () => {
    for (const [path, text] of Object.entries(sentinels)) {
      expect(readFileSync(join(dir, path), 'utf8'), `${path} changed`).toBe(text);
    }
    expect(readdirSync(join(dir, 'trust', 'image-keys'))).toEqual(['node.pub']);
    const planted = filesUnder(dir, join(dir, 'apps')).filter((path) => path.includes('planted-by-app'));
    expect(planted, 'an app wrote outside DATA_DIR/apps').toEqual([]);
  };

  it('installs, writes into its own volume only, and remove --purge leaves the daemon folders intact', async () => {
    for (const id of INSTALLED) {
      const path = join(dir, `${id}.yml`);
      const text = corpus.find((entry) => entry.file === `${id}.yml`)!.text;
      writeFileSync(path, text.replace(/^image: .*$/m, `image: ${helloImage('1.0.0')}`));
      const status = await daemon.cliJson<AppStatus>(['install', path]);
      expect(status).toMatchObject({ id, state: 'running' });
      const volume = parseManifest(text, path).volumes[0]!.name;
      const written = join(dir, 'apps', id, volume, 'planted-by-app');
      // The volume belongs to the container's (sub-uid) user: read it in the user namespace.
      const content = await waitFor(() => podman(['unshare', 'cat', written]).catch(() => undefined), {
        what: `${id} to write into its volume`,
      });
      expect(content).toBe('planted\n');
      const mounts = await podmanJson<{ Mounts: { Source: string; Destination: string }[] }[]>([
        'inspect',
        `archy-${id}`,
      ]);
      expect(mounts[0]!.Mounts.find((m) => m.Destination === '/v')?.Source).toBe(
        join(dir, 'apps', id, volume),
      );
    }
    expectDaemonFoldersUntouched();

    for (const id of INSTALLED) {
      const removed = await daemon.cliJson<{ purged: boolean }>(['remove', id, '--purge', '--yes']);
      expect(removed.purged).toBe(true);
      await expectNothingLeft(daemon, id);
    }
    expectDaemonFoldersUntouched();
    // The daemon still works on its own folders: records are read, and a new app installs.
    expect(await daemon.cliJson<AppStatus[]>(['list'])).toEqual([]);
  });
});

/** A hello app that serves its own volume: what it answers proves which data it runs on. */
function writeServingManifest(dir: string, id: string, hostPort: number): string {
  const path = join(dir, `${id}.yml`);
  writeFileSync(
    path,
    [
      `id: ${id}`,
      `name: Serves ${id}`,
      'version: "1.0.0"',
      `image: ${helloImage('1.0.0')}`,
      'command: ["/bin/sh", "-c", "mkdir -p /data/www && touch /data/www/index.html && exec httpd -f -p 8080 -h /data/www"]',
      'ports:',
      `  - { container: 8080, host: ${hostPort} }`,
      'volumes:',
      '  - mount: /data',
      'stopTimeout: 2s',
      'health:',
      '  http: { port: 8080, path: / }',
      '  interval: 1s',
      '',
    ].join('\n'),
  );
  return path;
}

const inspectMounts = async (id: string) =>
  (
    await podmanJson<
      { Id: string; State: { Running: boolean }; Mounts: { Source: string; Destination: string }[] }[]
    >(['inspect', `archy-${id}`])
  )[0]!;

const served = async (port: number, file: string): Promise<string | undefined> => {
  const response = await httpGet(`http://127.0.0.1:${port}/${file}`, 1000).catch(() => undefined);
  return response?.status === 200 ? response.body : undefined;
};

/**
 * Turns a daemon's data dir back into data layout 1 for `ids` — their data in DATA_DIR/<id>/, no
 * layout state — and gives each a container as the old daemon made it: same name, labels,
 * network, port and command, its volume bind-mounted from the old path. `running` ones are started.
 */
async function backToLayout1(
  dir: string,
  apps: Array<{ id: string; port: number; running: boolean }>,
): Promise<void> {
  for (const { id, port, running } of apps) {
    const [old] = await podmanJson<
      { Config: { Labels: Record<string, string>; Cmd: string[] }; ImageName: string }[]
    >(['inspect', `archy-${id}`]);
    await podman(['rm', '--force', '--time', '0', `archy-${id}`]);
    renameSync(join(dir, 'apps', id), join(dir, id));
    const labels = Object.entries(old!.Config.Labels).flatMap(([key, value]) => [
      '--label',
      `${key}=${value}`,
    ]);
    await podman([
      'create',
      '--name',
      `archy-${id}`,
      ...labels,
      '--network',
      `archy-${id}`,
      '--publish',
      `${port}:8080`,
      '--volume',
      `${join(dir, id, 'data')}:/data:U`,
      '--init',
      old!.ImageName,
      ...old!.Config.Cmd,
    ]);
    if (running) await podman(['start', `archy-${id}`]);
  }
  rmdirSync(join(dir, 'apps')); // empty now: layout 1 had no apps root
  rmSync(join(dir, 'state', 'layout.json'));
}

describe('a node in data layout 1 is migrated at daemon start', () => {
  let daemon: TestDaemon | undefined;
  let dir: string;

  beforeAll(() => {
    dir = tempDataDir('layout-migration');
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('moves each app’s data (not a copy), recreates its old container on it, and runs the app there', async () => {
    const running = uniqueAppId('migrated-running');
    const stopped = uniqueAppId('migrated-stopped');
    const ports = { [running]: await freePort(), [stopped]: await freePort() };
    daemon = await startDaemon({ dataDir: dir });
    for (const id of [running, stopped]) {
      await daemon.cliJson(['install', writeServingManifest(dir, id, ports[id]!)]);
      await podman(['exec', `archy-${id}`, 'sh', '-c', `echo precious-${id} > /data/www/precious.txt`]);
    }
    await daemon.cliJson(['stop', stopped]);
    const inode = async (path: string) => (await podman(['unshare', 'stat', '-c', '%i', path])).trim();
    const before = await inode(join(dir, 'apps', running, 'data', 'www', 'precious.txt'));
    await daemon.stop();

    await backToLayout1(dir, [
      { id: running, port: ports[running]!, running: true },
      { id: stopped, port: ports[stopped]!, running: false },
    ]);
    // The old container serves the data from where layout 1 kept it.
    expect((await inspectMounts(running)).Mounts.find((m) => m.Destination === '/data')?.Source).toBe(
      join(dir, running, 'data'),
    );
    await waitFor(() => served(ports[running]!, 'precious.txt'), { what: 'the old container to serve' });

    daemon = await startDaemon({ dataDir: dir });
    const layoutState = JSON.parse(readFileSync(join(dir, 'state', 'layout.json'), 'utf8')) as {
      version: number;
      pending?: boolean;
    };
    expect(layoutState.version).toBe(2);
    expect(layoutState.pending).toBeUndefined();
    for (const id of [running, stopped]) {
      expect(existsSync(join(dir, id)), `${id} left in the old place`).toBe(false);
      expect((await inspectMounts(id)).Mounts.find((m) => m.Destination === '/data')?.Source).toBe(
        join(dir, 'apps', id, 'data'),
      );
    }
    // Moved by rename: the very same file, not a copy.
    expect(await inode(join(dir, 'apps', running, 'data', 'www', 'precious.txt'))).toBe(before);
    expect(await waitFor(() => served(ports[running]!, 'precious.txt'), { what: 'the migrated app' })).toBe(
      `precious-${running}\n`,
    );
    await waitFor(async () => (await daemon!.cliJson<AppStatus>(['status', running])).state === 'running', {
      what: `${running} running on the moved data`,
    });
    // The stopped app stays stopped (on a container made for the new place), and starts on its data.
    expect((await inspectMounts(stopped)).State.Running).toBe(false);
    expect((await daemon.cliJson<AppStatus>(['status', stopped])).state).toBe('stopped');
    await daemon.cliJson(['start', stopped]);
    expect(await waitFor(() => served(ports[stopped]!, 'precious.txt'), { what: 'the started app' })).toBe(
      `precious-${stopped}\n`,
    );

    // The next start does not migrate again and adopts the running container as it is.
    const adopted = (await inspectMounts(running)).Id;
    await daemon.stop();
    daemon = await startDaemon({ dataDir: dir });
    expect((await inspectMounts(running)).Id).toBe(adopted);
    expect(daemon.log()).not.toContain('moved the app data');

    for (const id of [running, stopped]) await daemon.cli(['remove', id, '--purge', '--yes']);
    // Two installs and three daemon starts, each bounded by its own wait.
  }, 240_000);

  it('with the data in both places (a half state) refuses to start, names both, loses nothing', async () => {
    const id = uniqueAppId('both-places');
    const port = await freePort();
    daemon ??= await startDaemon({ dataDir: dir });
    await daemon.cliJson(['install', writeServingManifest(dir, id, port)]);
    await podman(['exec', `archy-${id}`, 'sh', '-c', 'echo new-place > /data/www/precious.txt']);
    await daemon.stop();
    daemon = undefined;
    // A crash in the middle of a migration, after which the old place was filled again.
    mkdirSync(join(dir, id, 'data'), { recursive: true });
    writeFileSync(join(dir, id, 'data', 'old-place.txt'), 'old-place\n');
    writeFileSync(join(dir, 'state', 'layout.json'), '{"version": 2, "pending": true}\n');

    const refusal = await startDaemon({ dataDir: dir }).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(refusal).toMatch(/daemon exited with [1-9]/);
    expect(refusal).toContain(
      `the data of '${id}' is in two places: ${join(dir, id)} (where it was before data layout 2) and ${join(dir, 'apps', id)}`,
    );
    expect(refusal).toMatch(/never merges or overwrites app data.*start the daemon again/);
    expect(readFileSync(join(dir, id, 'data', 'old-place.txt'), 'utf8')).toBe('old-place\n');
    expect(await podman(['unshare', 'cat', join(dir, 'apps', id, 'data', 'www', 'precious.txt')])).toBe(
      'new-place\n',
    );
    // The app kept running all along, on the data in its new place.
    expect(await served(port, 'precious.txt')).toBe('new-place\n');

    // The user keeps the new data (moving the old aside); the next start finishes the migration.
    renameSync(join(dir, id), join(dir, `${id}.old`));
    daemon = await startDaemon({ dataDir: dir });
    expect(JSON.parse(readFileSync(join(dir, 'state', 'layout.json'), 'utf8'))).toMatchObject({ version: 2 });
    // Recreated on the new mounts at boot: running once its first probe passes.
    await waitFor(async () => (await daemon!.cliJson<AppStatus>(['status', id])).state === 'running', {
      what: `${id} running on the moved data`,
    });
    expect(await served(port, 'precious.txt')).toBe('new-place\n');
    await daemon.cli(['remove', id, '--purge', '--yes']);
  }, 180_000);
});
