import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLocked, LOCK_KEY_FILE, lockDataDir, type DataDirLock } from './data-dir-lock.js';

let root: string;
const held: DataDirLock[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'archy-lock-'));
});
afterEach(async () => {
  for (const lock of held.splice(0)) await lock.release();
  await rm(root, { recursive: true, force: true });
});

const take = async (dir: string): Promise<DataDirLock> => {
  const lock = await lockDataDir(dir);
  held.push(lock);
  return lock;
};

// SIGKILL of a holder (the lock is free at once) is tested with real daemons: test/daemon/data-dir-lock.test.ts.
describe('lockDataDir', () => {
  it('lets one holder in and refuses the next, naming its pid; free again once released', async () => {
    const dir = join(root, 'data');
    const first = await take(dir);
    const refused = await lockDataDir(dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirLocked);
    expect((refused as Error).message).toBe(
      `another archipelagod (pid ${process.pid}) is already running on the data dir ${dir}; stop it first, or start this one with another --data-dir`,
    );
    await first.release();
    await take(dir);
  });

  it('keeps data dirs apart, a copy of one included (same key, another inode)', async () => {
    await take(join(root, 'a'));
    await take(join(root, 'b'));
    await cp(join(root, 'a'), join(root, 'a-copy'), { recursive: true });
    expect(await readFile(join(root, 'a-copy', LOCK_KEY_FILE), 'utf8')).toBe(
      await readFile(join(root, 'a', LOCK_KEY_FILE), 'utf8'),
    );
    await take(join(root, 'a-copy'));
  });

  it('refuses a lock key that is not one, saying how to recover', async () => {
    const dir = join(root, 'data');
    await take(dir);
    await held.pop()!.release();
    await writeFile(join(dir, LOCK_KEY_FILE), 'garbage\n');
    await expect(lockDataDir(dir)).rejects.toThrow(/is not a lock key .* delete it and start again/);
  });
});
