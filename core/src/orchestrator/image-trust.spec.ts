import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageTrust } from './image-trust.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-image-trust-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const trust = () =>
  new ImageTrust({
    keyDirs: [dir],
    insecureRegistries: new Set(),
    unsignedRegistries: new Set(),
    logger: pino({ level: 'silent' }),
  });

// The keys are read before the registry is asked: port 9 (discard) on loopback is never reached.
const IMAGE = '127.0.0.1:9/apps/hello:1.0.0';

describe('ImageTrust reads the trusted keys as key files', () => {
  it('refuses a key folder holding a symlink, naming it, before any registry is asked', async () => {
    await writeFile(join(dir, 'elsewhere'), 'not a key the node chose\n');
    await symlink(join(dir, 'elsewhere'), join(dir, 'planted.pub'));
    await expect(trust().runnableReference('hello', IMAGE)).rejects.toThrow(
      new RegExp(`image key ${dir}/planted\\.pub is a symbolic link`),
    );
  });

  it('refuses an oversized .pub file', async () => {
    await writeFile(join(dir, 'huge.pub'), Buffer.alloc(64 * 1024 + 1, 0x41));
    await expect(trust().runnableReference('hello', IMAGE)).rejects.toThrow(
      /image key .*huge\.pub holds 65537 bytes, over the 65536-byte limit/,
    );
  });
});
