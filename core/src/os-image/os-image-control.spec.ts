// os.update's download into the spool against a real HTTP server on 127.0.0.1, and the refusals
// before it starts. The root service's side (the path unit and /usr/lib/archipelago-os/update)
// is os/test/update-offline.sh's.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { OsImageControl, parseBundleUrl } from './os-image-control.js';
import { osImagePaths, spoolFiles, type OsImagePaths } from './paths.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let paths: OsImagePaths;
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'archy-os-update-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'usr/lib/archipelago-os'), { recursive: true });
  await writeFile(join(root, 'usr/lib/archipelago-os/version'), '0.2.0\n');
  await writeFile(join(root, 'cmdline'), 'root=PARTLABEL=archy-root-a ro archy.slot=a\n');
  paths = osImagePaths({ ARCHY_OS_ROOT: root, ARCHY_OS_CMDLINE: join(root, 'cmdline') });
});

/** A server on 127.0.0.1 whose handler decides each answer; closed after the test. */
async function serve(handler: (url: string, res: ServerResponse) => void): Promise<string> {
  const server: Server = createServer((req, res) => handler(req.url ?? '/', res));
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const spoolNames = async (): Promise<string[]> => (await readdir(paths.spool).catch(() => [])).sort();

describe('OsImageControl.update', () => {
  it('downloads the bundle into the spool: ready.tar with request.json beside it, nothing partial left', async () => {
    const bundle = randomBytes(3 * 1024 * 1024 + 17);
    const url = await serve((path, res) => {
      if (path !== '/archipelago-os-0.3.0-x86_64.tar') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': bundle.length });
      res.end(bundle);
    });
    const control = new OsImageControl({ paths });
    const status = await control.update({ url: `${url}/archipelago-os-0.3.0-x86_64.tar`, reboot: true });
    const files = spoolFiles(paths);
    // Compared as hashes: a deep equality over 3 MB of bytes takes vitest most of a minute.
    expect(sha256(await readFile(files.ready))).toBe(sha256(bundle));
    expect(JSON.parse(await readFile(files.request, 'utf8'))).toMatchObject({
      reboot: true,
      url: `${url}/archipelago-os-0.3.0-x86_64.tar`,
    });
    expect(await spoolNames()).toEqual(['ready.tar', 'request.json']);
    // Handed over: waiting for the root service, which os.status says until it takes the file.
    expect(status).toMatchObject({
      supported: true,
      download: { state: 'waiting', bytes: bundle.length, reboot: true },
    });
  });

  it('reports the download while it arrives', async () => {
    let release: (() => void) | undefined;
    const url = await serve((_path, res) => {
      res.writeHead(200, { 'content-length': 2 * 1024 * 1024 });
      res.write(Buffer.alloc(1024 * 1024, 1));
      release = () => res.end(Buffer.alloc(1024 * 1024, 2));
    });
    const control = new OsImageControl({ paths });
    const done = control.update({ url: `${url}/b.tar` });
    let seen: unknown;
    for (let i = 0; i < 100 && seen === undefined; i += 1) {
      const status = await control.status();
      if (status.supported && status.download?.state === 'downloading' && status.download.bytes > 0)
        seen = status.download;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen).toMatchObject({ state: 'downloading', total: 2 * 1024 * 1024 });
    // A second request while one is on its way is refused.
    await expect(control.update({ url: `${url}/other.tar` })).rejects.toMatchObject({
      code: RpcErrorCode.Busy,
    });
    release?.();
    await done;
    expect(await spoolNames()).toEqual(['ready.tar', 'request.json']);
  });

  it('leaves nothing in the spool when the server does not have the bundle, and says why', async () => {
    const url = await serve((_path, res) => res.writeHead(404).end('no such file'));
    const control = new OsImageControl({ paths });
    const failure = await control.update({ url: `${url}/missing.tar` }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ArchyError);
    expect((failure as Error).message).toMatch(/could not download the update: .*404/);
    expect(await spoolNames()).toEqual([]);
    expect(await control.status()).toMatchObject({
      download: { state: 'failed', error: expect.stringMatching(/404/) },
    });
  });

  it('refuses a bundle larger than the cap without keeping any of it', async () => {
    const url = await serve((_path, res) => {
      res.writeHead(200, { 'content-length': 4096 });
      res.end(Buffer.alloc(4096));
    });
    const control = new OsImageControl({ paths, maxBytes: 1024 });
    await expect(control.update({ url: `${url}/big.tar` })).rejects.toThrow(/cap/);
    expect(await spoolNames()).toEqual([]);
  });

  it('takes a file on the node (file: URL)', async () => {
    const file = join(root, 'bundle.tar');
    await writeFile(file, 'a bundle');
    const control = new OsImageControl({ paths });
    await control.update({ url: pathToFileURL(file).href });
    expect(await readFile(spoolFiles(paths).ready, 'utf8')).toBe('a bundle');
  });

  it('refuses a file: URL that is not a file (a device would never end)', async () => {
    const control = new OsImageControl({ paths });
    await expect(control.update({ url: 'file:///dev/zero' })).rejects.toMatchObject({
      code: RpcErrorCode.InvalidParams,
      message: expect.stringContaining('/dev/zero is not a file'),
    });
    expect(await spoolNames()).toEqual([]);
  });

  it('refuses while a bundle waits in the spool, and on a host that is not Archipelago OS', async () => {
    await mkdir(paths.spool, { recursive: true });
    await writeFile(spoolFiles(paths).ready, 'waiting');
    const control = new OsImageControl({ paths });
    await expect(control.update({ url: 'http://127.0.0.1:1/x.tar' })).rejects.toMatchObject({
      code: RpcErrorCode.Busy,
    });

    await writeFile(join(root, 'cmdline'), 'root=/dev/sda1 ro\n');
    await expect(control.update({ url: 'http://127.0.0.1:1/x.tar' })).rejects.toMatchObject({
      code: RpcErrorCode.Conflict,
      message: expect.stringContaining('archy.slot='),
    });
  });
});

describe('parseBundleUrl', () => {
  it('takes http, https and file URLs and refuses others', () => {
    expect(parseBundleUrl('https://example.invalid/os.tar').protocol).toBe('https:');
    expect(parseBundleUrl('file:///var/tmp/os.tar').protocol).toBe('file:');
    expect(() => parseBundleUrl('ftp://example.invalid/os.tar')).toThrow(/not supported/);
    expect(() => parseBundleUrl('os.tar')).toThrow(/not a URL/);
  });
});
