import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateMasterKey, masterKeyPath } from './master-key.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'archy-master-key-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('master key', () => {
  it('is created 0600 in a 0700 secrets dir, even under a permissive umask, and loaded after', async () => {
    const path = masterKeyPath(dataDir);
    const previous = process.umask(0);
    let key: Buffer;
    try {
      key = await loadOrCreateMasterKey(path, { create: true });
    } finally {
      process.umask(previous);
    }
    expect(key).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'secrets'))).mode & 0o777).toBe(0o700);
    expect((await readFile(path, 'utf8')).trim()).toBe(key.toString('hex'));
    expect(await loadOrCreateMasterKey(path, { create: false })).toEqual(key);
  });

  it('is created once when many callers race for it', async () => {
    const path = masterKeyPath(dataDir);
    const keys = await Promise.all(
      Array.from({ length: 20 }, () => loadOrCreateMasterKey(path, { create: true })),
    );
    for (const key of keys) expect(key).toEqual(keys[0]);
    expect(await loadOrCreateMasterKey(path, { create: false })).toEqual(keys[0]);
  });

  it.each([0o644, 0o640, 0o604])('refuses a key file with mode %o and says to chmod 600', async (mode) => {
    const path = masterKeyPath(dataDir);
    await loadOrCreateMasterKey(path, { create: true });
    await chmod(path, mode);
    await expect(loadOrCreateMasterKey(path, { create: true })).rejects.toThrow(`run: chmod 600 ${path}`);
    await chmod(path, 0o600);
    await expect(loadOrCreateMasterKey(path, { create: false })).resolves.toHaveLength(32);
  });

  it('refuses a missing key when told not to create one', async () => {
    await expect(loadOrCreateMasterKey(masterKeyPath(dataDir), { create: false })).rejects.toThrow(
      /is missing; restore it from your backup/,
    );
  });

  it('refuses a damaged key and a symlinked key', async () => {
    const path = masterKeyPath(dataDir);
    await loadOrCreateMasterKey(path, { create: true });
    await writeFile(path, 'not a key\n');
    await expect(loadOrCreateMasterKey(path, { create: true })).rejects.toThrow(/is damaged/);
    await rm(path);
    const elsewhere = join(dataDir, 'elsewhere');
    await writeFile(elsewhere, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    await symlink(elsewhere, path);
    await expect(loadOrCreateMasterKey(path, { create: true })).rejects.toThrow(/is a symbolic link/);
  });
});
