import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, OnionChangeResult, OsStatus } from '../../core/src/api/contract.js';
import { FileServer } from './support/file-server.js';
import { NodeApi } from './support/node-api.js';
import { freePort, Vm } from './support/vm.js';
import { bootTimes, recordBoot } from './support/boot-times.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
/** The raw image os/build.sh made (scripts/check-os-image.sh builds it and names it here). */
const IMAGE = process.env.ARCHY_OS_IMAGE ?? '';
/** A code of the daemon's alphabet, as os/flash.sh would make it. */
const SETUP_CODE = 'T3ST-C0DE-BY0S-F4SH';
const PASSWORD = 'a long boot-test passphrase';
/** TCG boots take minutes; the first boot also seeds /var and builds the demo app's image. */
const BOOT_TIMEOUT_MS = 15 * 60_000;
/** For the OS update tests: the build's root tree and a secret key the image trusts. */
const ROOT_TREE = process.env.ARCHY_OS_ROOT_TREE ?? '';
const UPDATE_KEY = process.env.ARCHY_OS_UPDATE_KEY ?? '';
/** Where the VM finds the bundle server (a QEMU guest forward to the host's 127.0.0.1). */
const BUNDLE_HOST = '10.0.2.100:8080';

/** The boot entries on the disk image's ESP (the first partition, at 1 MiB), read with mtools. */
async function loaderEntries(disk: string): Promise<string[]> {
  const { stdout } = await run('mdir', ['-b', '-i', `${disk}@@1048576`, '::/loader/entries'], {
    env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
  });
  return stdout
    .split('\n')
    .map((line) => line.trim().replace(/^.*\//, ''))
    .filter((name) => name.endsWith('.conf'))
    .sort();
}

/**
 * Two update bundles from the build's root tree (os/make-update.sh): a good one, and one whose
 * daemon cannot start (its start script exits 1: what a broken release would do to the node).
 */
async function makeBundles(work: string, version: string): Promise<{ good: string; broken: string }> {
  const make = (root: string, v: string, out: string) =>
    run(
      'bash',
      [join(REPO, 'os/make-update.sh'), '--root', root, '--version', v, '--key', UPDATE_KEY, '--out', out],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  const good = join(work, 'good.tar');
  await make(ROOT_TREE, `${version}.1`, good);
  const brokenRoot = join(work, 'broken-root');
  // cp -a: the tree has device nodes (/dev/null, …), which Node's fs.cp cannot copy.
  await run('cp', ['-a', ROOT_TREE, brokenRoot]);
  await writeFile(
    join(brokenRoot, 'usr/lib/archipelago-os/run-daemon'),
    '#!/bin/sh\necho "this daemon is broken on purpose by the OS update test" >&2\nexit 1\n',
  );
  const broken = join(work, 'broken.tar');
  await make(brokenRoot, `${version}.2`, broken);
  await rm(brokenRoot, { recursive: true, force: true });
  return { good, broken };
}

/** Waits until check() holds, or fails with what it saw last. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(3000);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s (last: ${String(last)})`);
}

describe('Archipelago OS in a VM (qemu-system-x86_64, TCG)', () => {
  let work: string;
  let vm: Vm;
  let api: NodeApi;
  let helloPort: number;
  let sshPort: number;
  let sshKey: string;
  let onion: string | undefined;
  let bundleServer: FileServer;
  let baseVersion: string;
  let bundles: Promise<{ good: string; broken: string }> | undefined;

  beforeAll(async () => {
    // Never a silent skip: without the build's outputs there is nothing to boot, and that is an error.
    if (!IMAGE || !ROOT_TREE || !UPDATE_KEY)
      throw new Error(
        'no image to boot: run the OS tests through `sudo scripts/check-os-image.sh`, which builds the image and sets ARCHY_OS_IMAGE, ARCHY_OS_ROOT_TREE and ARCHY_OS_UPDATE_KEY',
      );
    work = await mkdtemp(join(process.env.ARCHY_OS_WORK ?? '/var/tmp', 'archy-os-boot-'));
    const disk = join(work, 'disk.img');
    // As a user would flash it: onto an 8 GiB disk (the data partition grows into it), with a
    // setup code and the owner's SSH key on the boot partition.
    sshKey = join(work, 'owner-key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'boot-test owner', '-f', sshKey]);
    await run('bash', [
      join(REPO, 'os/flash.sh'),
      IMAGE,
      disk,
      '--size',
      '8G',
      '--setup-code',
      SETUP_CODE,
      '--ssh-key',
      `${sshKey}.pub`,
    ]);
    const uiPort = await freePort();
    helloPort = await freePort();
    sshPort = await freePort();
    bundleServer = await FileServer.start();
    vm = await Vm.create({
      disk,
      workDir: work,
      forwards: [
        { guest: 80, host: uiPort },
        { guest: 18080, host: helloPort },
        { guest: 22, host: sshPort },
      ],
      guestForwards: [{ guestAddress: '10.0.2.100', guestPort: 8080, hostPort: bundleServer.port }],
    });
    api = new NodeApi(`http://127.0.0.1:${uiPort}`);
    baseVersion = (await readFile(join(ROOT_TREE, 'usr/lib/archipelago-os/version'), 'utf8')).trim();
    // Made while the VM boots (the update tests await them).
    bundles = makeBundles(work, baseVersion);
    bundles.catch(() => undefined);
  });

  afterAll(async () => {
    await vm?.kill();
    await bundleServer?.close();
    await bundles?.catch(() => undefined);
    if (!work) return;
    if (process.env.ARCHY_OS_KEEP !== '1') await rm(work, { recursive: true, force: true });
    else console.log(`[os-boot] kept ${work}`);
    if (bootTimes.length)
      console.log(`[os-boot] boots: ${bootTimes.map((t) => `${t.what} ${t.seconds} s`).join(', ')}`);
  });

  /** The demo app runs and is healthy, with the onion address it got at install. */
  async function helloRunsWithItsOnion(): Promise<void> {
    const status = await until(
      'hello running',
      async () => {
        const s = await api.rpc<AppStatus>('container-status', { id: 'hello' });
        return s.state === 'running' && s.health === 'healthy' ? s : undefined;
      },
      10 * 60_000,
    );
    expect(status.tor?.onions.find((o) => o.port === 8080)?.address).toBe(onion);
  }

  it('first boot: grows the data partition and offers first-run setup with the flashed code', async () => {
    await vm.start();
    const ms = await api.waitFor('/auth/status', BOOT_TIMEOUT_MS);
    recordBoot('first boot to API', ms);
    expect(await api.authStatus()).toEqual({ passwordSet: false, authenticated: false });
    const page = await api.get('/');
    expect(page?.status).toBe(200);
    expect(page?.body).toContain('<div id="app"');

    const console = await vm.console();
    // grow-data: from the image's 512 MiB to about the rest of the 8 GiB disk.
    const grown = /data partition \S+: 512 MiB -> (\d+) MiB/.exec(console);
    expect(grown, 'the data partition was grown').not.toBeNull();
    expect(Number(grown![1])).toBeGreaterThan(4500);
    expect(console).toContain('setup code taken from the boot partition');

    // The code os/flash.sh put on the boot partition is the one the node asks for.
    await expect(api.setup(PASSWORD, 'WR0N-GC0D-EXXX-XXXX')).rejects.toThrow(/40[13]/);
    await api.setup(PASSWORD, SETUP_CODE);
    expect((await api.authStatus()).passwordSet).toBe(true);
  });

  it('proves from inside that the root is read-only', async () => {
    // archipelago-os-banner tries to write to / as root at every boot and prints what happened.
    const line = await until(
      'the console banner',
      async () => /root: (\S+) \S+ (read-only[^\n]*|WRITABLE[^\n]*)/.exec(await vm.console()) ?? undefined,
      5 * 60_000,
    );
    expect(line[1]).toBe('erofs');
    expect(line[2]).toMatch(/^read-only \(.*Read-only file system\)/);
  });

  it('turns SSH on at first boot for the key flashed with it: archy with that key only', async () => {
    expect(await vm.console()).toContain('ssh-switch: SSH is on for the user archy with 1 key');
    const ssh = (user: string, key: string) =>
      run('ssh', [
        ...['-p', String(sshPort), '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'],
        ...[
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-o',
          'ConnectTimeout=60',
        ],
        `${user}@127.0.0.1`,
        'id -un',
      ]);
    // sshd starts beside the daemon; under emulation it may still be making its host key.
    const login = await until(
      'an SSH login as archy',
      async () => (await ssh('archy', sshKey)).stdout,
      5 * 60_000,
    );
    expect(login.trim()).toBe('archy');
    await expect(ssh('root', sshKey)).rejects.toThrow(/Permission denied/);
    const stranger = join(work, 'stranger-key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    await expect(ssh('archy', stranger)).rejects.toThrow(/Permission denied/);

    // The UI and `archy os status` say so: on, for the flashed key, and the host key this login met.
    const fingerprint = async (file: string) =>
      (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', file])).stdout.split(' ')[1];
    const hostKeys = join(work, 'scanned-host-key');
    const scan = await run('ssh-keyscan', ['-T', '60', '-t', 'ed25519', '-p', String(sshPort), '127.0.0.1']);
    await writeFile(hostKeys, scan.stdout);
    const status = await api.rpc<OsStatus>('os.status', {}, 60_000);
    expect(status.supported && status.ssh).toEqual({
      enabled: true,
      keys: [
        { type: 'ssh-ed25519', fingerprint: await fingerprint(`${sshKey}.pub`), comment: 'boot-test owner' },
      ],
      hostKey: await fingerprint(hostKeys),
    });
  });

  it('installs the demo app through the API, with an onion of its own', async () => {
    const started = Date.now();
    await api.rpc('package.install', { id: 'hello' }, BOOT_TIMEOUT_MS);
    const status = await until(
      'hello running and healthy',
      async () => {
        const s = await api.rpc<AppStatus>('container-status', { id: 'hello' });
        return s.state === 'running' && s.health === 'healthy' ? s : undefined;
      },
      10 * 60_000,
    );
    recordBoot('install hello (image built on the node)', Date.now() - started);
    expect(status.desired).toBe('running');
    const page = await fetch(`http://127.0.0.1:${helloPort}/`);
    expect(page.status).toBe(200);

    // App data that must survive: the onion's key lives in the app's data on /var.
    const added = await api.rpc<OnionChangeResult>(
      'tor.onion-add',
      { id: 'hello', port: 8080 },
      BOOT_TIMEOUT_MS,
    );
    onion = await until(
      'the onion address',
      async () => {
        const s = await api.rpc<AppStatus>('container-status', { id: 'hello' });
        return s.tor?.onions.find((o) => o.port === 8080)?.address;
      },
      10 * 60_000,
    );
    expect(added.id).toBe('hello');
    expect(onion).toMatch(/^[a-z2-7]{56}\.onion$/);
  });

  it('after a clean power-off and on, the app runs again with its data', async () => {
    await vm.powerOff();
    await vm.start();
    const ms = await api.waitFor('/auth/status', BOOT_TIMEOUT_MS);
    recordBoot('second boot to API', ms);
    await api.login(PASSWORD);
    await helloRunsWithItsOnion();
    expect((await fetch(`http://127.0.0.1:${helloPort}/`)).status).toBe(200);
    // The second boot did not grow or seed again: both are once-only.
    const console = await vm.console();
    expect(console.match(/data partition \S+: \d+ MiB -> \d+ MiB/g)?.length).toBe(1);
    // The disk file really grew under the node: 8 GiB, not the image's size.
    expect((await stat(join(work, 'disk.img'))).size).toBe(8 * 1024 ** 3);
  });

  /** os.status, logging in again when the node restarted (a new boot has no session). */
  async function osStatus(): Promise<OsStatus> {
    try {
      return await api.rpc<OsStatus>('os.status', {}, 60_000);
    } catch {
      await api.login(PASSWORD);
      return api.rpc<OsStatus>('os.status', {}, 60_000);
    }
  }

  it('updates the OS into the other slot and keeps it once it came up', async () => {
    const { good } = await bundles!;
    bundleServer.files.set('/good.tar', good);
    const before = await osStatus();
    expect(before).toMatchObject({ supported: true, slot: 'a', version: baseVersion });

    const started = Date.now();
    await api.rpc('os.update', { url: `http://${BUNDLE_HOST}/good.tar`, reboot: true }, 10 * 60_000);
    const after = await until(
      'the node on the new version, its boot checked',
      async () => {
        const s = await osStatus();
        return s.supported && s.version === `${baseVersion}.1` && s.lastBoot?.thisBoot ? s : undefined;
      },
      BOOT_TIMEOUT_MS,
    );
    recordBoot('OS update: download, write slot b, restart, boot check', Date.now() - started);
    expect(after).toMatchObject({ slot: 'b', otherSlot: { slot: 'a' }, lastUpdate: { state: 'applied' } });
    expect(after.supported && after.lastBoot).toMatchObject({ slot: 'b', counted: true, result: 'ok' });
    expect(after.supported && after.fellBack).toBeUndefined();
    await helloRunsWithItsOnion();

    // systemd-bless-boot made the entry good: without that, systemd-boot would count down its
    // tries at every boot and quietly return to slot a after the third. Seen on the disk
    // itself, with the machine off.
    await vm.powerOff();
    expect(await loaderEntries(join(work, 'disk.img'))).toEqual([
      'archipelago-os-a.conf',
      'archipelago-os-b.conf',
    ]);
    await vm.start();
    await api.waitFor('/auth/status', BOOT_TIMEOUT_MS);
    expect(await osStatus()).toMatchObject({ slot: 'b', version: `${baseVersion}.1` });
  });

  it('falls back to the working slot when an update does not come up', async () => {
    const { broken } = await bundles!;
    bundleServer.files.set('/broken.tar', broken);
    const started = Date.now();
    await api.rpc('os.update', { url: `http://${BUNDLE_HOST}/broken.tar`, reboot: true }, 10 * 60_000);
    // systemd-boot tries the new entry three times (each boot check fails: the daemon keeps
    // crashing), then boots slot b again, where the daemon answers and says what happened.
    const after = await until(
      'the node back on the previous version',
      async () => {
        const s = await osStatus();
        return s.supported && s.fellBack ? s : undefined;
      },
      30 * 60_000,
    );
    recordBoot('bad OS update: three failed tries, then the fallback', Date.now() - started);
    expect(after).toMatchObject({ slot: 'b', version: `${baseVersion}.1` });
    expect(after.supported && after.fellBack).toMatchObject({
      from: { slot: 'a', version: `${baseVersion}.2` },
      to: { slot: 'b', version: `${baseVersion}.1` },
    });
    expect(after.supported && after.fellBack?.reason).toMatch(/archipelago\.service/);
    await helloRunsWithItsOnion();
  });
});
