// `archy backup init/create/list/verify/status/key` against a real daemon, real rootless Podman,
// real restic and a restic REST target served by `rclone serve restic` on 127.0.0.1 (issue 17):
// the key shown once, a backup of an app's volume byte for byte (read back with restic by hand),
// the app stopped during the snapshot and running after, and each failure — no set-up, a wrong
// key, an unreachable target, a full target, a damaged repository, a second job — refused with a
// clear reason and the node as it was.

import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, BackupSnapshotInfo, BackupStatus } from '../../src/api/contract.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { freePort, helloImage, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman, podmanJson } from '../support/podman-cli.js';
import { startRestServer, type RestServer } from '../support/rest-server.js';
import { restic, resticOk } from '../support/restic-cli.js';

const KEY_PATTERN = /^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$/;
const RANDOM_BYTES = 3_000_000;

/** A hello-shaped app with a volume it fills with random bytes at its first start, and a generated secret. */
function helloManifest(id: string): string {
  return [
    `id: ${id}`,
    'name: Backup test app',
    'version: "1.0.0"',
    `image: ${helloImage('1.0.0')}`,
    `command: ["/bin/sh", "-c", "[ -f /data/random.bin ] || head -c ${RANDOM_BYTES} /dev/urandom > /data/random.bin; exec httpd -f -p 8080 -h /www"]`,
    'env: { APP_PASSWORD: "${ARCHY_APP_PASSWORD}" }',
    'volumes: [{ mount: /data, name: data }]',
    'stopTimeout: 2s',
    '',
  ].join('\n');
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A file of the app's volume, read in the user namespace (it belongs to the container's user). */
async function volumeFileSha(dataDir: string, id: string, path: string): Promise<string> {
  const out = await podman(['unshare', 'sha256sum', join(dataDir, 'apps', id, path)]);
  return out.split(/\s+/)[0]!;
}

async function startedAt(id: string): Promise<string> {
  const [inspect] = await podmanJson<Array<{ State: { StartedAt: string; Running: boolean } }>>([
    'container',
    'inspect',
    `archy-${id}`,
  ]);
  return inspect!.State.StartedAt;
}

describe('archy backup with a REST target', () => {
  let daemon: TestDaemon;
  let server: RestServer;
  let dir: string;
  let key: string;
  let repository: string;
  const app = uniqueAppId('bk');

  beforeAll(async () => {
    dir = tempDataDir('backup-create');
    server = await startRestServer();
    repository = server.repository('node');
    daemon = await startDaemon({ dataDir: dir, env: { ARCHY_TOR_DISABLE_NETWORK: '1' } });
    const file = join(dir, '..', `${app}.yml`);
    writeFileSync(file, helloManifest(app));
    await daemon.cliJson(['install', file]);
    await waitFor(
      async () => (await volumeFileSha(dir, app, 'data/random.bin').catch(() => undefined)) !== undefined,
      {
        what: 'the app to write its data',
        timeoutMs: 20_000,
      },
    );
    // Tor's files as the Tor sidecar keeps them: the onion keys are the app's data, the cache is not.
    await podman([
      'unshare',
      'sh',
      '-c',
      `mkdir -p "$1/.tor/onions/web" "$1/.tor/data" && echo key > "$1/.tor/onions/web/hs_ed25519_secret_key" && echo cache > "$1/.tor/data/cached-certs"`,
      'sh',
      join(dir, 'apps', app),
    ]);
  }, 180_000);
  afterAll(async () => {
    await daemon?.cli(['remove', app, '--purge', '--yes']).catch(() => undefined);
    await daemon?.stop();
    await server?.stop();
  });

  it('refuses to back up before a target is set up, saying how', async () => {
    const result = await daemon.cli(['backup', 'create']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/archy backup init --to/);
  });

  it('init makes the repository and shows a key once; key show gives it again', async () => {
    const init = await daemon.cliJson<{ target: string; key?: string; keyConfirmed: boolean }>([
      'backup',
      'init',
      '--to',
      repository,
      '--confirm-key-saved',
    ]);
    expect(init.key).toMatch(KEY_PATTERN);
    expect(init.keyConfirmed).toBe(true);
    key = init.key!;
    // The repository is restic's, and the key opens it.
    expect((await restic(repository, key, ['cat', 'config'])).code).toBe(0);
    // A second init (here: another repository) never shows the key again.
    const again = await daemon.cliJson<{ key?: string }>([
      'backup',
      'init',
      '--to',
      server.repository('second'),
    ]);
    expect(again.key).toBeUndefined();
    await daemon.cliJson(['backup', 'init', '--to', repository]);
    expect((await daemon.cliJson<{ key: string }>(['backup', 'key', 'show'])).key).toBe(key);
    expect(readFileSync(join(dir, 'audit', 'audit.log'), 'utf8')).toContain('backup.key-show');
    const status = await daemon.cliJson<BackupStatus>(['backup', 'status']);
    expect(status).toMatchObject({ target: repository, keyConfirmed: true });
    // Kept sealed under the master key, never in plain text in the data dir.
    expect(readFileSync(join(dir, 'secrets', '.node', 'backup-key.enc'), 'utf8')).not.toContain(key);
    expect(readFileSync(join(dir, 'backups', 'config.json'), 'utf8')).not.toContain(key);
  });

  it('create snapshots the volume byte for byte, stopping the app for it and starting it after', async () => {
    const before = await startedAt(app);
    const snapshot = await daemon.cliJson<BackupSnapshotInfo>(['backup', 'create', app]);
    expect(snapshot).toMatchObject({
      reason: 'manual',
      includesChain: false,
      apps: [{ id: app, version: '1.0.0' }],
    });
    // Stopped and started again: a new start time, running, desired state untouched.
    const after = await daemon.cliJson<AppStatus>(['status', app]);
    expect(after.state).toBe('running');
    expect(await startedAt(app)).not.toBe(before);
    expect(daemon.log()).toMatch(/stopped for a backup/);
    // Byte for byte, read back by hand with the key.
    const dumped = await resticOk(repository, key, ['dump', snapshot.id, `/apps/${app}/data/random.bin`]);
    expect(dumped.length).toBe(RANDOM_BYTES);
    expect(sha256(dumped)).toBe(await volumeFileSha(dir, app, 'data/random.bin'));
    // What else is in it, and what is not.
    const files = (await resticOk(repository, key, ['ls', snapshot.id])).toString().split('\n');
    expect(files).toContain(`/apps/${app}/.tor/onions/web/hs_ed25519_secret_key`);
    expect(files.some((path) => path.startsWith(`/apps/${app}/.tor/data`))).toBe(false);
    expect(files).toContain(`/app-configs/${app}.json`);
    const meta = JSON.parse(
      (await resticOk(repository, key, ['dump', snapshot.id, '/archy-backup/backup.json'])).toString(),
    ) as { format: number; apps: Array<{ id: string; version: string; desired: string; manifest: string }> };
    expect(meta).toMatchObject({
      format: 1,
      apps: [{ id: app, version: '1.0.0', desired: 'running', manifest: 'file' }],
    });
    const record = JSON.parse(
      (
        await resticOk(repository, key, ['dump', snapshot.id, `/archy-backup/apps/${app}/record.json`])
      ).toString(),
    ) as { id: string; desired: string };
    expect(record).toMatchObject({ id: app, desired: 'running' });
    const secrets = JSON.parse(
      (
        await resticOk(repository, key, ['dump', snapshot.id, `/archy-backup/apps/${app}/secrets.json`])
      ).toString(),
    ) as Record<string, string>;
    expect(Object.values(secrets).length).toBeGreaterThan(0);
    expect(Object.values(secrets).every((value) => typeof value === 'string' && value.length >= 8)).toBe(
      true,
    );
    expect(files).toContain(`/archy-backup/apps/${app}/manifest.yml`);
    // Nothing left behind: no staging folder with plain secrets, no key file.
    expect(existsSync(join(dir, 'archy-backup'))).toBe(false);
    expect(readdirSync(join(dir, 'run')).filter((name) => name.startsWith('restic-'))).toEqual([]);
    // Listed, newest first, and the status says how it ended.
    const list = await daemon.cliJson<BackupSnapshotInfo[]>(['backup', 'list']);
    expect(list[0]).toMatchObject({ id: snapshot.id, apps: [{ id: app, version: '1.0.0' }] });
    const status = await daemon.cliJson<BackupStatus>(['backup', 'status']);
    expect(status.last).toMatchObject({ job: 'create', ok: true, snapshot: snapshot.id, apps: [app] });
  });

  it('a second job while one runs is refused with what runs', async () => {
    const first = daemon.spawnCli(['backup', 'create', app, '--json']);
    const firstDone = new Promise<number | null>((resolve) => first.once('exit', resolve));
    await waitFor(async () => (await daemon.cliJson<BackupStatus>(['backup', 'status'])).running, {
      what: 'the first backup to run',
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    const second = await daemon.cli(['backup', 'create', app]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/a backup job is running \(create/);
    expect(await firstDone).toBe(0);
    expect((await daemon.cliJson<AppStatus>(['status', app])).state).toBe('running');
  });

  it('a wrong key is refused before any app stops', async () => {
    const foreign = server.repository('foreign');
    await resticOk(foreign, 'another-key-entirely', ['init']);
    const before = await startedAt(app);
    const result = await daemon.cli(['backup', 'create', app, '--to', foreign]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/the backup key does not open the repository at .*foreign.*wrong password/);
    expect(await startedAt(app)).toBe(before);
    expect((await daemon.cliJson<AppStatus>(['status', app])).state).toBe('running');
  });

  it('an unreachable target is refused before any app stops', async () => {
    const before = await startedAt(app);
    const result = await daemon.cli(
      ['backup', 'create', app, '--to', `rest:http://127.0.0.1:${await freePort()}/gone`],
      {
        timeoutMs: 120_000,
      },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /cannot be reached .*connection refused.*check that the disk is mounted or the server runs/,
    );
    expect(await startedAt(app)).toBe(before);
  }, 150_000);

  it('a full target fails with what to do, the app running again and nothing left behind', async () => {
    // 1 MiB of tmpfs: room for the repository's config and keys, not for 3 MB of random data.
    const full = await startRestServer({ capBytes: 1024 * 1024 });
    try {
      await daemon.cliJson(['backup', 'init', '--to', full.repository('node')]);
      const result = await daemon.cli(['backup', 'create', app, '--to', full.repository('node')], {
        timeoutMs: 150_000,
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/is full.*free space there or use a bigger disk/);
    } finally {
      await full.stop();
      await daemon.cliJson(['backup', 'init', '--to', repository]);
    }
    expect((await daemon.cliJson<AppStatus>(['status', app])).state).toBe('running');
    expect(existsSync(join(dir, 'archy-backup'))).toBe(false);
    const status = await daemon.cliJson<BackupStatus>(['backup', 'status']);
    expect(status.last).toMatchObject({ job: 'create', ok: false });
    expect(status.running).toBeUndefined();
  }, 180_000);

  it('verify --read-data names a damaged pack', async () => {
    expect((await daemon.cli(['backup', 'verify', '--read-data'])).code).toBe(0);
    // A copy of the repository with one pack altered (the original stays sound).
    const damaged = server.repository('damaged');
    cpSync(join(server.dir, 'node'), join(server.dir, 'damaged'), { recursive: true });
    const packs = readdirSync(join(server.dir, 'damaged', 'data'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
    const biggest = packs.sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
    const bytes = readFileSync(biggest);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(biggest, bytes);
    const packId = biggest.split('/').at(-1)!;
    const result = await daemon.cli(['backup', 'verify', '--read-data', '--target', damaged], {
      timeoutMs: 120_000,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/is damaged \(pack file/);
    expect(result.stderr).toContain(packId);
  }, 150_000);
});
