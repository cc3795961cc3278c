import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchyError } from '../../kernel/index.js';
import { debianOriginOf, usrSpellings } from './debian-origin.js';

// Real dpkg lookups on this (Debian) host: the files the image base copies — busybox-static's
// busybox and glibc's loader and libraries — must be found under whatever spelling dpkg recorded.

const run = promisify(execFile);
const installed = async (pkg: string): Promise<string> =>
  (await run('dpkg-query', ['-W', '-f=${Version}', pkg])).stdout;
const LOADER = '/lib64/ld-linux-x86-64.so.2';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-spec-dpkg-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('usrSpellings', () => {
  it('gives both merged-/usr spellings of a path, and only one for other folders', () => {
    expect(usrSpellings('/usr/lib/x86_64-linux-gnu/libc.so.6')).toEqual([
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
    ]);
    expect(usrSpellings('/bin/busybox')).toEqual(['/bin/busybox', '/usr/bin/busybox']);
    expect(usrSpellings('/usr/share/doc/x')).toEqual(['/usr/share/doc/x']);
    expect(usrSpellings('/etc/passwd')).toEqual(['/etc/passwd']);
  });
});

describe.runIf(process.arch === 'x64')('debianOriginOf (this host’s dpkg)', () => {
  it('names busybox-static for /bin/busybox, and libc6 for the loader and libc, in one call', async () => {
    const paths = [
      '/bin/busybox',
      LOADER,
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/usr/lib/x86_64-linux-gnu/libm.so.6',
    ];
    const origins = await debianOriginOf(paths);
    expect([...origins.keys()]).toEqual(paths);
    expect(origins.get('/bin/busybox')).toMatchObject({
      kind: 'debian',
      package: 'busybox-static',
      version: await installed('busybox-static'),
      architecture: 'amd64',
      hostPath: '/bin/busybox',
      distro: expect.stringMatching(/^debian-\d+$/),
      sourcePackage: 'busybox',
    });
    const libc = await installed('libc6');
    // The loader is a symlink to /lib/x86_64-linux-gnu/…, whose realpath is /usr/lib/… (merged /usr),
    // while dpkg recorded it as /lib/x86_64-linux-gnu/…: both spellings are tried.
    for (const path of paths.slice(1))
      expect(origins.get(path)).toMatchObject({
        package: 'libc6',
        version: libc,
        architecture: 'amd64',
        hostPath: path,
        sourcePackage: 'glibc',
      });
  });

  it('follows a soname symlink to the versioned file its package owns (libatomic.so.1 → libatomic.so.1.2.0)', async () => {
    const origins = await debianOriginOf([
      '/lib/x86_64-linux-gnu/libatomic.so.1',
      '/lib/x86_64-linux-gnu/libgcc_s.so.1',
    ]);
    expect(origins.get('/lib/x86_64-linux-gnu/libatomic.so.1')).toMatchObject({
      package: 'libatomic1',
      version: await installed('libatomic1'),
    });
    expect(origins.get('/lib/x86_64-linux-gnu/libgcc_s.so.1')).toMatchObject({ package: 'libgcc-s1' });
  });

  it('refuses a file no package owns, naming it and both spellings tried', async () => {
    const stray = join(dir, 'stray.so');
    await writeFile(stray, 'not from a package');
    const err = await debianOriginOf(['/bin/busybox', stray]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchyError);
    expect((err as Error).message).toMatch(/^no installed Debian package owns .*stray\.so/);
    expect((err as Error).message).toMatch(/files of unknown origin/);
  });

  it('names the package of the real file behind a link outside any package', async () => {
    const link = join(dir, 'busybox-link');
    await symlink('/bin/busybox', link);
    expect((await debianOriginOf([link])).get(link)).toMatchObject({
      package: 'busybox-static',
      hostPath: link,
    });
  });

  it('refuses a missing path and a directory', async () => {
    await expect(debianOriginOf(['/lib/x86_64-linux-gnu/no-such-lib.so.1'])).rejects.toThrow(
      /does not exist on this host/,
    );
    await expect(debianOriginOf(['/usr/share/doc'])).rejects.toThrow(/is not a regular file/);
  });

  it('asks nothing for an empty list', async () => {
    expect((await debianOriginOf([])).size).toBe(0);
  });
});
