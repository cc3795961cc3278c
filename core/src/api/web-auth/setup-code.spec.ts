import { mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  generateSetupCode,
  normalizeSetupCode,
  readSetupCode,
  setupCodeFilePath,
  writeSetupCode,
} from './setup-code.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'archy-setup-code-'));
  dirs.push(dir);
  return dir;
}

describe('setup codes', () => {
  it('are four groups of four Crockford base32 symbols, different each time', () => {
    const codes = new Set(Array.from({ length: 50 }, generateSetupCode));
    expect(codes.size).toBe(50);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  });

  it('compare without dashes, spaces or case, reading O as 0 and I/L as 1', () => {
    expect(normalizeSetupCode(' ab0c-1def-ghjk-mnpq ')).toBe('AB0C1DEFGHJKMNPQ');
    expect(normalizeSetupCode('abOc iDef')).toBe(normalizeSetupCode('AB0C-1DEF'));
    expect(normalizeSetupCode('L')).toBe('1');
  });

  it('are kept in a 0600 file and read back; anything else in the file is no code', async () => {
    const dir = await tempDir();
    expect(await readSetupCode(dir)).toBeUndefined();
    const code = generateSetupCode();
    await writeSetupCode(dir, code);
    expect((await stat(setupCodeFilePath(dir))).mode & 0o777).toBe(0o600);
    expect(await readSetupCode(dir)).toBe(code);
    await writeFile(setupCodeFilePath(dir), 'not-a-code\n');
    expect(await readSetupCode(dir)).toBeUndefined();
  });

  it('are never read through a link planted where the file should be', async () => {
    const dir = await tempDir();
    const elsewhere = join(dir, 'elsewhere');
    await writeFile(elsewhere, `${generateSetupCode()}\n`);
    await symlink(elsewhere, setupCodeFilePath(dir));
    expect(await readSetupCode(dir)).toBeUndefined();
  });
});
