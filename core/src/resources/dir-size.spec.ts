import { chmod, link, mkdir, mkdtemp, open, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirSizeCache, measureDirSize, type DirSize } from './dir-size.js';

const KIB = 1024;
const MIB = 1024 * KIB;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'archy-dirsize-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** What the walk should count for `path`: its allocated blocks, as `du` does. */
const allocated = async (path: string): Promise<number> => (await stat(path)).blocks * 512;

describe('measureDirSize', () => {
  it('adds up allocated blocks of files and directories, nested', async () => {
    const data = join(root, 'app');
    await mkdir(join(data, 'blocks', 'index'), { recursive: true });
    await writeFile(join(data, 'blocks', 'blk00000.dat'), Buffer.alloc(256 * KIB, 1));
    await writeFile(join(data, 'blocks', 'index', '000001.ldb'), Buffer.alloc(64 * KIB, 2));
    await writeFile(join(data, 'debug.log'), 'hello\n');

    const size = await measureDirSize(data);
    const expected =
      (await allocated(data)) +
      (await allocated(join(data, 'blocks'))) +
      (await allocated(join(data, 'blocks', 'index'))) +
      (await allocated(join(data, 'blocks', 'blk00000.dat'))) +
      (await allocated(join(data, 'blocks', 'index', '000001.ldb'))) +
      (await allocated(join(data, 'debug.log')));
    expect(size).toEqual({ bytes: expected, entries: 6, partial: false });
    expect(size.bytes).toBeGreaterThanOrEqual(320 * KIB);
  });

  it('does not follow symlinks, to files or to directories', async () => {
    const data = join(root, 'app');
    const outside = join(root, 'outside');
    await mkdir(data);
    await mkdir(outside);
    await writeFile(join(outside, 'big'), Buffer.alloc(4 * MIB, 1));
    await symlink(join(outside, 'big'), join(data, 'link-to-file'));
    await symlink(outside, join(data, 'link-to-dir'));
    await symlink(data, join(data, 'loop'));

    const size = await measureDirSize(data);
    expect(size.entries).toBe(4);
    expect(size.bytes).toBeLessThan(MIB);
    expect(size.partial).toBe(false);
  });

  it('counts a sparse file by the blocks it occupies, not its apparent length', async () => {
    const data = join(root, 'app');
    await mkdir(data);
    const sparse = join(data, 'preallocated.dat');
    const handle = await open(sparse, 'w');
    await handle.write(Buffer.alloc(64 * KIB, 7), 0, 64 * KIB, 0);
    await handle.truncate(8 * 1024 * MIB); // 8 GiB apparent, 64 KiB written
    await handle.close();

    const size = await measureDirSize(data);
    expect((await stat(sparse)).size).toBe(8 * 1024 * MIB);
    expect(size.bytes).toBeGreaterThanOrEqual(64 * KIB);
    expect(size.bytes).toBeLessThan(16 * MIB);
  });

  it('counts a hard-linked file once', async () => {
    const data = join(root, 'app');
    await mkdir(data);
    await writeFile(join(data, 'a'), Buffer.alloc(MIB, 1));
    await link(join(data, 'a'), join(data, 'b'));
    const size = await measureDirSize(data);
    expect(size.bytes).toBe((await allocated(data)) + (await allocated(join(data, 'a'))));
    expect(size.entries).toBe(3);
  });

  it('measures a missing dir as 0', async () => {
    expect(await measureDirSize(join(root, 'nothing'))).toEqual({ bytes: 0, entries: 0, partial: false });
  });

  it('stops at the entry bound and says the size is partial', async () => {
    const data = join(root, 'app');
    await mkdir(data);
    for (let index = 0; index < 20; index++) await writeFile(join(data, `f${index}`), 'x');
    const size = await measureDirSize(data, { maxEntries: 5 });
    expect(size).toMatchObject({ entries: 5, partial: true });
  });

  it.skipIf(process.getuid?.() === 0)('counts what it can read and marks the rest partial', async () => {
    const data = join(root, 'app');
    await mkdir(join(data, 'private'), { recursive: true });
    await chmod(join(data, 'private'), 0o000);
    try {
      const size = await measureDirSize(data);
      expect(size).toMatchObject({ entries: 2, partial: true });
    } finally {
      await chmod(join(data, 'private'), 0o700);
    }
  });
});

describe('DirSizeCache', () => {
  const fixed = (bytes: number): DirSize => ({ bytes, entries: 1, partial: false });

  it('reuses a measurement within the TTL, shares one in flight, and measures again after', async () => {
    let now = 0;
    let walks = 0;
    const cache = new DirSizeCache({
      ttlMs: 60_000,
      now: () => now,
      measure: async () => fixed(++walks),
    });
    const [first, concurrent] = await Promise.all([cache.get('/d'), cache.get('/d')]);
    expect(first.bytes).toBe(1);
    expect(concurrent.bytes).toBe(1);
    now = 59_999;
    expect((await cache.get('/d')).bytes).toBe(1);
    now = 60_000;
    expect((await cache.get('/d')).bytes).toBe(2);
    cache.forget('/d');
    expect((await cache.get('/d')).bytes).toBe(3);
    expect((await cache.get('/other')).bytes).toBe(4);
  });

  it('does not keep a failed walk', async () => {
    let fail = true;
    const cache = new DirSizeCache({
      measure: async () => {
        if (fail) throw new Error('EIO');
        return fixed(7);
      },
    });
    await expect(cache.get('/d')).rejects.toThrow('EIO');
    fail = false;
    expect((await cache.get('/d')).bytes).toBe(7);
  });
});
