import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, OnionChangeResult } from '../../core/src/api/contract.js';
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

describe.skipIf(!IMAGE)('Archipelago OS in a VM (qemu-system-x86_64, TCG)', () => {
  let work: string;
  let vm: Vm;
  let api: NodeApi;
  let helloPort: number;
  let onion: string | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(process.env.ARCHY_OS_WORK ?? '/var/tmp', 'archy-os-boot-'));
    const disk = join(work, 'disk.img');
    // As a user would flash it: onto an 8 GiB disk (the data partition grows into it), with a
    // setup code on the boot partition.
    await run('bash', [join(REPO, 'os/flash.sh'), IMAGE, disk, '--size', '8G', '--setup-code', SETUP_CODE]);
    const uiPort = await freePort();
    helloPort = await freePort();
    vm = await Vm.create({
      disk,
      workDir: work,
      forwards: [
        { guest: 80, host: uiPort },
        { guest: 18080, host: helloPort },
      ],
    });
    api = new NodeApi(`http://127.0.0.1:${uiPort}`);
  });

  afterAll(async () => {
    await vm?.kill();
    if (process.env.ARCHY_OS_KEEP !== '1') await rm(work, { recursive: true, force: true });
    else console.log(`[os-boot] kept ${work}`);
    if (bootTimes.length)
      console.log(`[os-boot] boots: ${bootTimes.map((t) => `${t.what} ${t.seconds} s`).join(', ')}`);
  });

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
    const status = await until(
      'hello running again',
      async () => {
        const s = await api.rpc<AppStatus>('container-status', { id: 'hello' });
        return s.state === 'running' && s.health === 'healthy' ? s : undefined;
      },
      10 * 60_000,
    );
    expect(status.tor?.onions.find((o) => o.port === 8080)?.address).toBe(onion);
    expect((await fetch(`http://127.0.0.1:${helloPort}/`)).status).toBe(200);
    // The second boot did not grow or seed again: both are once-only.
    const console = await vm.console();
    expect(console.match(/data partition \S+: \d+ MiB -> \d+ MiB/g)?.length).toBe(1);
    // The disk file really grew under the node: 8 GiB, not the image's size.
    expect((await stat(join(work, 'disk.img'))).size).toBe(8 * 1024 ** 3);
  });
});
