import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileExclusive, writeFileAtomic } from './atomic-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces a file with the given mode and leaves no temp file', async () => {
    const path = join(dir, 'sub', 'state.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two', 0o640);
    expect(await readFile(path, 'utf8')).toBe('two');
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect(await readdir(join(dir, 'sub'))).toEqual(['state.json']);
  });
});

describe('createFileExclusive', () => {
  it('creates a missing file 0600 and never replaces an existing one', async () => {
    const path = join(dir, 'key');
    expect(await createFileExclusive(path, 'first')).toBe(true);
    expect(await createFileExclusive(path, 'second')).toBe(false);
    expect(await readFile(path, 'utf8')).toBe('first');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await writeFile(join(dir, 'other'), 'x');
    expect((await readdir(dir)).sort()).toEqual(['key', 'other']);
  });
});
