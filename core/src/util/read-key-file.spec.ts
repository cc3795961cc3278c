import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyFileError, readKeyFile, readKeyFileIfPresent } from './read-key-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-key-file-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const KEY = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';

async function refusal(path: string, maxBytes = 1024): Promise<KeyFileError> {
  const error = await readKeyFile(path, { maxBytes, what: 'image key' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyFileError);
  return error as KeyFileError;
}

describe('readKeyFile', () => {
  it('reads a regular file, with the mode and owner of what it read', async () => {
    const path = join(dir, 'a.pub');
    await writeFile(path, KEY, { mode: 0o640 });
    await chmod(path, 0o640);
    const file = await readKeyFile(path, { maxBytes: 1024 });
    expect(file.bytes.toString('utf8')).toBe(KEY);
    expect(file.mode & 0o777).toBe(0o640);
    expect(file.uid).toBe(process.getuid!());
  });

  it('reads a file of exactly the cap, and refuses one byte more, naming the file', async () => {
    const path = join(dir, 'big.pub');
    await writeFile(path, 'x'.repeat(64));
    expect((await readKeyFile(path, { maxBytes: 64 })).bytes).toHaveLength(64);
    await writeFile(path, 'x'.repeat(65));
    const error = await refusal(path, 64);
    expect(error.problem).toBe('too-large');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/image key .* holds 65 bytes, over the 64-byte limit/);
  });

  it('refuses a symlink to a real key, without following it', async () => {
    const real = join(dir, 'real.pub');
    await writeFile(real, KEY);
    const link = join(dir, 'link.pub');
    await symlink(real, link);
    const error = await refusal(link);
    expect(error.problem).toBe('symlink');
    expect(error.message).toMatch(/image key .*link\.pub is a symbolic link.*replace the link/);
  });

  it('refuses a dangling symlink and a relative one pointing out of the folder', async () => {
    await symlink('/nonexistent/key.pub', join(dir, 'dangling.pub'));
    expect((await refusal(join(dir, 'dangling.pub'))).problem).toBe('symlink');
    await mkdir(join(dir, 'keys'));
    await symlink('../../../etc/passwd', join(dir, 'keys', 'rel.pub'));
    expect((await refusal(join(dir, 'keys', 'rel.pub'))).problem).toBe('symlink');
  });

  it('refuses a directory and a FIFO without blocking on it', async () => {
    await mkdir(join(dir, 'folder.pub'));
    expect((await refusal(join(dir, 'folder.pub'))).problem).toBe('not-regular');
    const fifo = join(dir, 'fifo.pub');
    execFileSync('mkfifo', [fifo]);
    // No writer ever opens it: a blocking open would hang this test until its timeout.
    const error = await refusal(fifo);
    expect(error.problem).toBe('not-regular');
    expect(error.message).toMatch(/fifo\.pub is not a regular file/);
  });

  it('refuses a device (endless bytes) by type, before reading anything', async () => {
    expect((await refusal('/dev/zero')).problem).toBe('not-regular');
  });

  it('says a missing file is missing; readKeyFileIfPresent makes that undefined', async () => {
    const path = join(dir, 'none.pub');
    expect((await refusal(path)).problem).toBe('missing');
    expect(await readKeyFileIfPresent(path, { maxBytes: 10 })).toBeUndefined();
    await symlink('/etc/hostname', path);
    await expect(readKeyFileIfPresent(path, { maxBytes: 1024 })).rejects.toThrow(/symbolic link/);
  });
});
