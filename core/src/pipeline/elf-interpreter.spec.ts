import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elfInterpreter } from './elf-interpreter.js';
import { tempFolder } from './spec-release-fixture.js';

let dir: string;
beforeAll(async () => {
  dir = await tempFolder('elf');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('elfInterpreter', () => {
  it('reads the loader a dynamic executable asks for (node itself)', async () => {
    expect(await elfInterpreter(process.execPath)).toMatch(/^\/lib.*\/ld-linux[-\w.]*\.so\.\d$/);
  });

  it('says a static executable needs none (Debian busybox-static)', async () => {
    expect(await elfInterpreter('/bin/busybox')).toBeUndefined();
  });

  it('refuses a file that is not ELF', async () => {
    const file = join(dir, 'script');
    await writeFile(file, '#!/bin/sh\necho hi\n'.padEnd(64, ' '));
    await expect(elfInterpreter(file)).rejects.toThrow(/not an ELF executable/);
  });
});
