// A volume's seed read from a real folder in a temp dir and written into a new volume folder:
// regular files and folders only, links and FIFOs refused by name, the size cap, nothing left
// behind by a refused or failed seed.

import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchyError } from '../kernel/index.js';
import { MAX_SEED_BYTES, readSeed, seedBaseFolder, writeSeededVolume } from './volume-seed.js';

let dir: string;
let app: string;
const volume = { mount: '/data', name: 'data', readOnly: false, seed: 'seed/data' };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'volume-seed-'));
  app = join(dir, 'app');
  mkdirSync(join(app, 'seed', 'data', 'conf'), { recursive: true });
  writeFileSync(join(app, 'seed', 'data', 'settings.yml'), 'port: 8080\n');
  writeFileSync(join(app, 'seed', 'data', 'conf', 'start.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const refusalOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArchyError);
    return (error as Error).message;
  }
  throw new Error('expected the seed to be refused');
};

describe('readSeed + writeSeededVolume', () => {
  it('copies the folders and files with their permission bits into a new volume folder', async () => {
    const entries = readSeed('demo', app, volume);
    expect(entries.map((entry) => `${entry.kind} ${entry.path}`)).toEqual([
      'dir conf',
      'file conf/start.sh',
      'file settings.yml',
    ]);
    const target = join(dir, 'apps', 'demo', 'data');
    mkdirSync(join(dir, 'apps', 'demo'), { recursive: true });
    await writeSeededVolume(target, entries);
    expect(readFileSync(join(target, 'settings.yml'), 'utf8')).toBe('port: 8080\n');
    expect(statSync(join(target, 'conf', 'start.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(target).mode & 0o777).toBe(0o700);
    // Nothing but the volume itself: the staging folder was renamed into place.
    expect(readdirSync(join(dir, 'apps', 'demo'))).toEqual(['data']);
  });

  it('refuses a symbolic link in the seed, naming it', () => {
    symlinkSync('/etc/passwd', join(app, 'seed', 'data', 'conf', 'passwd'));
    expect(refusalOf(() => readSeed('demo', app, volume))).toBe(
      `${join(app, 'seed/data/conf/passwd')} is a symbolic link; the seed of volume 'data' of 'demo' copies only regular files and folders of the app's folder`,
    );
  });

  it('refuses a seed folder that is itself a link, or reached through one', () => {
    rmSync(join(app, 'seed', 'data'), { recursive: true });
    symlinkSync('/etc', join(app, 'seed', 'data'));
    expect(refusalOf(() => readSeed('demo', app, volume))).toContain(
      `${join(app, 'seed/data')} is a symbolic link`,
    );
    rmSync(join(app, 'seed'), { recursive: true });
    mkdirSync(join(dir, 'elsewhere', 'data'), { recursive: true });
    symlinkSync(join(dir, 'elsewhere'), join(app, 'seed'));
    expect(refusalOf(() => readSeed('demo', app, volume))).toContain(
      `${join(app, 'seed')} is a symbolic link`,
    );
  });

  it('refuses a FIFO in the seed without waiting on it', () => {
    execFileSync('mkfifo', [join(app, 'seed', 'data', 'pipe')]);
    expect(refusalOf(() => readSeed('demo', app, volume))).toBe(
      `${join(app, 'seed/data/pipe')} is not a regular file or folder (a device, FIFO or socket); the seed of volume 'data' of 'demo' copies only regular files and folders`,
    );
  });

  it('refuses a seed over the size cap, and a seed that is not a folder', () => {
    writeFileSync(join(app, 'seed', 'data', 'big'), '');
    truncateSync(join(app, 'seed', 'data', 'big'), MAX_SEED_BYTES);
    expect(refusalOf(() => readSeed('demo', app, volume))).toContain(
      `holds more than ${MAX_SEED_BYTES} bytes`,
    );
    expect(refusalOf(() => readSeed('demo', app, { ...volume, seed: 'missing' }))).toContain(
      'is seeded from missing, which is not a folder in',
    );
  });

  it('leaves nothing when writing fails, and replaces what a crashed seed left', async () => {
    const parent = join(dir, 'apps', 'demo');
    mkdirSync(join(parent, '.seeding-data'), { recursive: true });
    writeFileSync(join(parent, '.seeding-data', 'half'), 'left by a crash');
    await writeSeededVolume(join(parent, 'data'), readSeed('demo', app, volume));
    expect(readdirSync(parent)).toEqual(['data']);
    expect(existsSync(join(parent, 'data', 'half'))).toBe(false);
    // The volume exists: writing it again fails and leaves it as it was, with no staging folder.
    await expect(writeSeededVolume(join(parent, 'data'), readSeed('demo', app, volume))).rejects.toThrow();
    expect(readdirSync(parent)).toEqual(['data']);
  });
});

describe('seedBaseFolder', () => {
  it('is the folder the CLI sent, else an absolute manifest file’s folder, else refused', () => {
    expect(seedBaseFolder('demo', 'demo.yml', '/home/u/apps')).toBe('/home/u/apps');
    expect(seedBaseFolder('demo', '/srv/apps/demo/manifest.yml', undefined)).toBe('/srv/apps/demo');
    expect(refusalOf(() => seedBaseFolder('demo', 'manifest.yml', undefined))).toBe(
      "'demo' seeds a volume with files beside its manifest, but the daemon was not told where manifest.yml is; install it from its file with 'archy install ./manifest.yml' (which sends the folder)",
    );
  });
});
