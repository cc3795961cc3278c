import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppConfigStore } from './app-config.js';
import { DataLayout } from '../layout/index.js';

let dir: string;
let store: AppConfigStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-config-'));
  store = new AppConfigStore(new DataLayout(dir));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('AppConfigStore', () => {
  it('defaults to no pin and auto-update off', async () => {
    expect(await store.get('bitcoin-core')).toEqual({ autoUpdate: false });
  });

  it('pins, unpins and toggles auto-update, keeping fields it does not know', async () => {
    await mkdir(join(dir, 'app-configs'));
    await writeFile(
      join(dir, 'app-configs', 'bitcoin-core.json'),
      JSON.stringify({ containerConfig: { a: 1 } }),
    );
    expect(await store.update('bitcoin-core', { pinnedVersion: '28.4', autoUpdate: true })).toEqual({
      pinnedVersion: '28.4',
      autoUpdate: true,
    });
    expect(await store.update('bitcoin-core', { pinnedVersion: null })).toEqual({ autoUpdate: true });
    const onDisk = JSON.parse(await readFile(join(dir, 'app-configs', 'bitcoin-core.json'), 'utf8'));
    // The file's keys are as before, plus the format version the JSON store stamps.
    expect(onDisk).toEqual({ containerConfig: { a: 1 }, autoUpdate: true, schemaVersion: 1 });
  });

  it('names the file of a preference of the wrong type, and a change replaces that file whole', async () => {
    await mkdir(join(dir, 'app-configs'));
    const file = join(dir, 'app-configs', 'bitcoin-core.json');
    await writeFile(file, JSON.stringify({ pinnedVersion: 28 }));
    await expect(store.get('bitcoin-core')).rejects.toThrow(file);
    expect(await store.update('bitcoin-core', { autoUpdate: true })).toEqual({ autoUpdate: true });
    expect(await store.get('bitcoin-core')).toEqual({ autoUpdate: true });
  });

  it('writes the defaults only when the app has no config yet', async () => {
    await store.writeDefault('x');
    expect(await store.get('x')).toEqual({ autoUpdate: false });
    await store.update('x', { autoUpdate: true });
    await store.writeDefault('x');
    expect(await store.get('x')).toEqual({ autoUpdate: true });
  });

  it('runs concurrent changes one after another, losing none', async () => {
    await Promise.all([
      store.update('x', { pinnedVersion: '1.0.0' }),
      store.update('x', { autoUpdate: true }),
    ]);
    expect(await store.get('x')).toEqual({ pinnedVersion: '1.0.0', autoUpdate: true });
  });
});
