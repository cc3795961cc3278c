// Restore (README "Restore"), end to end: real restic against a local target in a temp dir, a real
// daemon on rootless Podman, a hello-shaped test app with a volume, a generated secret
// (ARCHY_APP_PASSWORD, which the app serves back so the test sees the password it started with)
// and an onion key folder in its data. In order, on one snapshot:
//   backup → purge → restore: the app comes back installed and running at its version, every file
//     byte-identical, the same password;
//   a wrong key and a damaged pack: a one-line error, the node as it was (hashes, app running);
//   SIGKILL of the daemon in the middle of a restore, restart: converges (finished: the restored
//     data, never a mix), no staging or journal left;
//   a second data dir with a second daemon, as a fresh node: `restore latest --from --key-file`.

import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { freePort, helloImage, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { podman } from '../support/podman-cli.js';

const started: TestDaemon[] = [];
async function daemonOn(dataDir: string, env: Record<string, string> = {}): Promise<TestDaemon> {
  const daemon = await startDaemon({
    dataDir,
    env: { ARCHY_TOR_DISABLE_NETWORK: '1', ...env },
    readyTimeoutMs: 120_000,
  });
  started.push(daemon);
  return daemon;
}

/**
 * Every regular file under `dir` (but Tor's cache), relative path → sha256, with its mode. Read in
 * the rootless user namespace: the app's container user (a sub-uid) owns what it wrote.
 */
async function hashTree(dir: string): Promise<Record<string, string>> {
  const script =
    'cd "$1" && find . -path ./.tor/data -prune -o -type f -printf "%m %p\\n" | sort -k2 | ' +
    'while read -r mode path; do printf "%s %s %s\\n" "$mode" "$(sha256sum < "$path" | cut -c1-64)" "$path"; done';
  const out = await podman(['unshare', 'sh', '-c', script, 'hash-tree', dir]);
  const files: Record<string, string> = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const [mode, hash, path] = line.split(' ');
    files[path!.replace(/^\.\//, '')] = `${mode} ${hash}`;
  }
  return files;
}

/** The hello app, with a volume, a generated password it serves back at /pw, and no Tor. */
async function writeApp(dir: string, id: string, hostPort: number): Promise<string> {
  const yaml = [
    `id: ${id}`,
    `name: Restore ${id}`,
    'version: "1.0.0"',
    `image: ${helloImage('1.0.0')}`,
    'command: ["/bin/sh", "-c", "mkdir -p /tmp/w && echo ok > /tmp/w/index.html && printf %s \\"$APP_PW\\" > /tmp/w/pw && exec httpd -f -p 8080 -h /tmp/w"]',
    "env: { APP_PW: '${ARCHY_APP_PASSWORD}' }",
    'security: { tmpfs: [/tmp] }',
    'ports:',
    '  - container: 8080',
    `    host: ${hostPort}`,
    'volumes:',
    '  - mount: /data',
    'stopTimeout: 2s',
    'health:',
    '  http: { port: 8080, path: / }',
    '  interval: 1s',
  ].join('\n');
  const path = join(dir, `${id}.yml`);
  await writeFile(path, `${yaml}\n`);
  return path;
}

const passwordOf = (id: string): Promise<string> => podman(['exec', `archy-${id}`, 'cat', '/tmp/w/pw']);

async function runningStatus(daemon: TestDaemon, id: string, what: string): Promise<AppStatus> {
  return waitFor(
    async () => {
      const status = await daemon.cliJson<AppStatus>(['status', id]);
      return status.state === 'running' && status.health === 'healthy' ? status : undefined;
    },
    { what, timeoutMs: 120_000, intervalMs: 250 },
  );
}

/** The CLI's error lines (`archy: …`). */
const errorLines = (stderr: string): string[] =>
  stderr.split('\n').filter((line) => line.startsWith('archy: '));

/** No staging folder and no journal: nothing of a restore left behind. */
async function restoreLeftovers(dataDir: string): Promise<string[]> {
  const backups = join(dataDir, 'backups');
  const names = existsSync(backups) ? await readdir(backups) : [];
  return names.filter((name) => name.startsWith('restore-'));
}

describe('archy backup restore', () => {
  const id = uniqueAppId('restore');
  let port: number;
  let work: string;
  let dataDir: string;
  let repo: string;
  let keyFile: string;
  let daemon: TestDaemon;
  /** The app's data as the snapshot holds it, and its password then. */
  let backedUp: Record<string, string>;
  let password: string;

  beforeAll(async () => {
    work = tempDataDir('restore-work');
    dataDir = tempDataDir('restore-node');
    repo = join(work, 'repo');
    keyFile = join(work, 'key');
    port = await freePort();
    daemon = await daemonOn(dataDir);
    const manifest = await writeApp(work, id, port);
    const installed = await daemon.cli(['install', manifest, '--json'], { timeoutMs: 180_000 });
    expect(installed.code, installed.stderr).toBe(0);
    await runningStatus(daemon, id, 'the app to run');
    // App data as the container writes it (random and compressible, a nested folder) ...
    await podman([
      'exec',
      `archy-${id}`,
      'sh',
      '-c',
      'mkdir -p /data/deep/er && head -c 300000 /dev/urandom > /data/random.bin && ' +
        'seq 1 50000 > /data/deep/er/counting.txt && echo hello > /data/small.txt',
    ]);
    // ... and an onion service's keys as its Tor keeps them (apps/<id>/.tor/onions/<name>/).
    const onion = join(dataDir, 'apps', id, '.tor', 'onions', 'web');
    await mkdir(onion, { recursive: true, mode: 0o700 });
    await writeFile(
      join(onion, 'hs_ed25519_secret_key'),
      Buffer.from('== ed25519v1-secret: type0 ==\0\0\0fake'),
    );
    await writeFile(
      join(onion, 'hostname'),
      'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion\n',
    );
    password = await passwordOf(id);
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const init = await daemon.cli(
      ['backup', 'init', '--to', repo, '--same-disk', '--confirm-key-saved', '--json'],
      { timeoutMs: 120_000 },
    );
    expect(init.code, init.stderr).toBe(0);
    await writeFile(keyFile, `${(JSON.parse(init.stdout) as { key: string }).key}\n`, { mode: 0o600 });
    const created = await daemon.cli(['backup', 'create', '--json'], { timeoutMs: 180_000 });
    expect(created.code, created.stderr).toBe(0);
    await runningStatus(daemon, id, 'the app after its backup');
    backedUp = await hashTree(join(dataDir, 'apps', id));
    expect(Object.keys(backedUp)).toEqual(
      expect.arrayContaining([
        'data/random.bin',
        'data/small.txt',
        'data/deep/er/counting.txt',
        '.tor/onions/web/hostname',
      ]),
    );
  }, 600_000);

  afterAll(async () => {
    await Promise.all(started.map((d) => d.cli(['remove', id, '--purge', '--yes']).catch(() => undefined)));
    await Promise.all(started.splice(0).map((d) => d.stop()));
  }, 120_000);

  it('brings a purged app back installed, running at its version, byte-identical, with its password', async () => {
    const purged = await daemon.cli(['remove', id, '--purge', '--yes']);
    expect(purged.code, purged.stderr).toBe(0);
    expect(existsSync(join(dataDir, 'apps', id))).toBe(false);

    const restored = await daemon.cli(['backup', 'restore', 'latest', '--yes', '--json'], {
      timeoutMs: 300_000,
    });
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ job: 'restore', ok: true, apps: [id] });

    const status = await runningStatus(daemon, id, 'the restored app to run');
    expect(status.version).toBe('1.0.0');
    expect(await hashTree(join(dataDir, 'apps', id))).toEqual(backedUp);
    expect(await passwordOf(id)).toBe(password);
    expect(await restoreLeftovers(dataDir)).toEqual([]);
  }, 400_000);

  it('refuses a wrong key with one line and leaves the node as it was', async () => {
    const wrongKey = join(work, 'wrong-key');
    await writeFile(wrongKey, 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH-IIII-JJJJ-KKKK-LLLL-MMMM\n');
    const before = await hashTree(join(dataDir, 'apps', id));
    const result = await daemon.cli(
      ['backup', 'restore', 'latest', '--from', repo, '--key-file', wrongKey, '--yes'],
      { timeoutMs: 120_000 },
    );
    expect(result.code).not.toBe(0);
    // Progress lines (one per phase off a terminal) come first; the error is one line.
    expect(errorLines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/wrong password or no key found/);
    expect(await hashTree(join(dataDir, 'apps', id))).toEqual(before);
    expect((await daemon.cliJson<AppStatus>(['status', id])).state).toBe('running');
    expect(await restoreLeftovers(dataDir)).toEqual([]);
  }, 200_000);

  it('refuses a damaged snapshot with one line naming it and leaves the node as it was', async () => {
    // A copy of the target with its biggest pack file (the app's data) altered in the middle.
    const damaged = join(work, 'damaged');
    await podman(['unshare', 'cp', '-a', repo, damaged]);
    const packs: Array<{ path: string; size: number }> = [];
    const walk = async (at: string): Promise<void> => {
      for (const entry of await readdir(at, { withFileTypes: true })) {
        const path = join(at, entry.name);
        if (entry.isDirectory()) await walk(path);
        else packs.push({ path, size: (await stat(path)).size });
      }
    };
    await walk(join(damaged, 'data'));
    const biggest = packs.sort((a, b) => b.size - a.size)[0]!;
    await chmod(biggest.path, 0o600);
    const bytes = await readFile(biggest.path);
    for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 64; i += 1) {
      bytes[i] = bytes[i]! ^ 0xff;
    }
    await writeFile(biggest.path, bytes);

    const before = await hashTree(join(dataDir, 'apps', id));
    const result = await daemon.cli(
      ['backup', 'restore', 'latest', '--from', damaged, '--key-file', keyFile, '--yes'],
      { timeoutMs: 120_000 },
    );
    expect(result.code).not.toBe(0);
    // Progress lines (one per phase off a terminal) come first; the error is one line.
    expect(errorLines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/damaged/);
    expect(await hashTree(join(dataDir, 'apps', id))).toEqual(before);
    expect((await daemon.cliJson<AppStatus>(['status', id])).state).toBe('running');
    expect(await restoreLeftovers(dataDir)).toEqual([]);
  }, 200_000);

  it('converges after a SIGKILL in the middle of a restore: the restored data, never a mix', async () => {
    // Changed since the backup: old data and restored data differ.
    await podman([
      'exec',
      `archy-${id}`,
      'sh',
      '-c',
      'echo changed > /data/small.txt && echo new > /data/new.txt',
    ]);
    const changed = await hashTree(join(dataDir, 'apps', id));
    expect(changed).not.toEqual(backedUp);

    await daemon.stop();
    const paused = await daemonOn(dataDir, { ARCHY_TEST_PAUSE_AT: 'restore-swapped-in' });
    const command = paused.spawnCli(['backup', 'restore', 'latest', '--yes']);
    await waitFor(() => paused.log().includes('paused at restore-swapped-in'), {
      what: 'the restore to pause with the restored data moved in',
      timeoutMs: 180_000,
      intervalMs: 100,
    });
    await paused.kill();
    command.kill('SIGKILL');
    expect(existsSync(join(dataDir, 'backups', 'restore-journal.json'))).toBe(true);

    daemon = await daemonOn(dataDir);
    await waitFor(async () => (await restoreLeftovers(dataDir)).length === 0, {
      what: 'the interrupted restore to finish at the next start',
      timeoutMs: 180_000,
      intervalMs: 250,
    });
    await runningStatus(daemon, id, 'the app after the recovered restore');
    expect(await hashTree(join(dataDir, 'apps', id))).toEqual(backedUp);
    expect(await passwordOf(id)).toBe(password);
  }, 600_000);

  it('restores onto a fresh node (a second data dir and daemon) with --from and --key-file', async () => {
    // Container names are per Podman user: the first node's app goes (its data stays) first.
    const removed = await daemon.cli(['remove', id]);
    expect(removed.code, removed.stderr).toBe(0);
    const fresh = await daemonOn(tempDataDir('restore-fresh'));
    expect(await fresh.cliJson<AppStatus[]>(['list'])).toEqual([]);

    const restored = await fresh.cli(
      ['backup', 'restore', 'latest', '--from', repo, '--key-file', keyFile, '--yes', '--json'],
      { timeoutMs: 300_000 },
    );
    expect(restored.code, restored.stderr).toBe(0);
    const status = await runningStatus(fresh, id, 'the app on the fresh node');
    expect(status.version).toBe('1.0.0');
    expect(await hashTree(join(fresh.dataDir, 'apps', id))).toEqual(backedUp);
    // The generated secret came over, sealed under the fresh node's own master key.
    expect(await passwordOf(id)).toBe(password);
    expect(await readFile(join(fresh.dataDir, 'secrets', '.master-key'))).not.toEqual(
      await readFile(join(dataDir, 'secrets', '.master-key')),
    );
    expect(await restoreLeftovers(fresh.dataDir)).toEqual([]);
  }, 400_000);
});
