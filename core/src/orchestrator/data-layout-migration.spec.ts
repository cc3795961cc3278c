import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataLayout } from '../layout/index.js';
import {
  APPS_APP_ASIDE,
  CURRENT_LAYOUT_VERSION,
  knownAppIds,
  migrateDataLayout,
  readLayoutState,
} from './data-layout-migration.js';

let root: string;
let layout: DataLayout;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'archy-layout-'));
  layout = new DataLayout(root);
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}
const record = (id: string) => put(join(root, 'state', 'apps', `${id}.json`), JSON.stringify({ id }));
const keptConfig = (id: string) => put(join(root, 'app-configs', `${id}.json`), '{"autoUpdate":false}');
const read = (...path: string[]) => readFile(join(root, ...path), 'utf8');
const inode = async (...path: string[]) => (await stat(join(root, ...path))).ino;

describe('migrateDataLayout', () => {
  it('on a fresh data dir makes the apps root and records layout 2; the next start does nothing', async () => {
    expect(await migrateDataLayout(layout)).toEqual({ alreadyCurrent: false, moved: [], notMoved: [] });
    expect(await readdir(layout.appsRoot)).toEqual([]);
    expect(await readLayoutState(layout)).toMatchObject({ version: CURRENT_LAYOUT_VERSION });
    expect((await readLayoutState(layout)).pending).toBeUndefined();
    expect((await migrateDataLayout(layout)).alreadyCurrent).toBe(true);
  });

  it('moves (renames, never copies) the data of installed apps, kept data and apps of an interrupted switch', async () => {
    await record('hello');
    await put(join(root, 'hello', 'data', 'wallet.dat'), 'wallet');
    const before = await inode('hello', 'data', 'wallet.dat');
    await keptConfig('removed-kept');
    await put(join(root, 'removed-kept', 'data', 'x'), 'kept');
    await put(
      join(root, 'state', 'intents', 'bitcoin-knots.json'),
      JSON.stringify({
        op: 'switch-implementation',
        app: 'bitcoin-knots',
        from: { id: 'bitcoin-core' },
        to: { id: 'bitcoin-knots' },
      }),
    );
    await put(join(root, 'bitcoin-core', 'bitcoin', 'blocks', 'blk00000.dat'), 'blocks');
    // Not an app the daemon knows: left where it is.
    await put(join(root, 'mystuff', 'notes.txt'), 'mine');
    // The daemon's own folders stay as they are.
    await put(join(root, 'secrets', '.master-key'), 'k');
    await put(join(root, 'catalog', 'last-good.json'), '{}');

    const report = await migrateDataLayout(layout);
    expect(report.moved).toEqual(['bitcoin-core', 'hello', 'removed-kept']);
    expect(await read('apps', 'hello', 'data', 'wallet.dat')).toBe('wallet');
    expect(await inode('apps', 'hello', 'data', 'wallet.dat')).toBe(before);
    expect(await read('apps', 'removed-kept', 'data', 'x')).toBe('kept');
    expect(await read('apps', 'bitcoin-core', 'bitcoin', 'blocks', 'blk00000.dat')).toBe('blocks');
    const top = await readdir(root);
    expect(top).not.toContain('hello');
    expect(top).not.toContain('bitcoin-core');
    expect(await read('mystuff', 'notes.txt')).toBe('mine');
    expect(await read('secrets', '.master-key')).toBe('k');
    expect(await read('catalog', 'last-good.json')).toBe('{}');
    expect(await readLayoutState(layout)).toMatchObject({ version: 2 });
  });

  it('never moves a daemon folder that an app had as its data dir, and says what to look at', async () => {
    await record('trust');
    await put(join(root, 'trust', 'image-keys', 'planted.pub'), 'evil');
    await record('apparmor');
    await put(join(root, 'apparmor', 'profile'), 'p');
    const report = await migrateDataLayout(layout);
    expect(report.moved).toEqual([]);
    expect(report.notMoved.map((entry) => entry.id)).toEqual(['apparmor', 'trust']);
    expect(report.notMoved[1]!.reason).toMatch(
      /'trust' had .*\/trust, the daemon's own folder.*not moved.*empty data dir in .*\/apps\/trust/,
    );
    expect(await read('trust', 'image-keys', 'planted.pub')).toBe('evil');
    expect(await read('apparmor', 'profile')).toBe('p');
    expect(await readdir(layout.appsRoot)).toEqual([]);
  });

  it('moves the data of an app named "apps" (layout 1 kept it in DATA_DIR/apps itself) into apps/apps', async () => {
    await record('apps');
    await record('hello');
    await put(join(root, 'apps', 'data', 'f'), 'apps-data');
    await put(join(root, 'hello', 'data', 'f'), 'hello-data');
    expect((await migrateDataLayout(layout)).moved).toEqual(['apps', 'hello']);
    expect(await read('apps', 'apps', 'data', 'f')).toBe('apps-data');
    expect(await read('apps', 'hello', 'data', 'f')).toBe('hello-data');
    expect((await readdir(root)).includes(APPS_APP_ASIDE)).toBe(false);
  });

  describe('a crash at any point, then a rerun, converges', () => {
    beforeEach(async () => {
      await record('one');
      await record('two');
      await record('apps');
    });

    it('after the apps root was made, before the state said so', async () => {
      await put(join(root, 'one', 'data', 'f'), '1');
      await mkdir(layout.appsRoot);
      expect((await migrateDataLayout(layout)).moved).toEqual(['one']);
      expect(await read('apps', 'one', 'data', 'f')).toBe('1');
    });

    it('after the data of the app "apps" was put aside, before the root was made', async () => {
      await put(join(root, APPS_APP_ASIDE, 'data', 'f'), 'a');
      expect((await migrateDataLayout(layout)).moved).toEqual(['apps']);
      expect(await read('apps', 'apps', 'data', 'f')).toBe('a');
    });

    it('half way through the moves (state pending)', async () => {
      await put(join(root, 'apps', 'one', 'data', 'f'), '1'); // moved before the crash
      await put(join(root, 'two', 'data', 'f'), '2'); // not yet
      await put(layout.layoutStateFile, JSON.stringify({ version: 2, pending: true }));
      expect((await migrateDataLayout(layout)).moved).toEqual(['two']);
      expect(await read('apps', 'one', 'data', 'f')).toBe('1');
      expect(await read('apps', 'two', 'data', 'f')).toBe('2');
      expect((await readLayoutState(layout)).pending).toBeUndefined();
    });

    it('an empty folder where the data goes is replaced by the data', async () => {
      await put(join(root, 'one', 'data', 'f'), '1');
      await mkdir(join(root, 'apps', 'one'), { recursive: true });
      await put(layout.layoutStateFile, JSON.stringify({ version: 2, pending: true }));
      expect((await migrateDataLayout(layout)).moved).toEqual(['one']);
      expect(await read('apps', 'one', 'data', 'f')).toBe('1');
    });
  });

  it('data in both places is refused, naming both, with nothing overwritten; fixed by hand, the rerun finishes', async () => {
    await record('one');
    await record('two');
    await put(join(root, 'one', 'data', 'f'), 'old');
    await put(join(root, 'apps', 'one', 'data', 'f'), 'new');
    await put(join(root, 'two', 'data', 'f'), '2');
    await put(layout.layoutStateFile, JSON.stringify({ version: 2, pending: true }));
    const error = await migrateDataLayout(layout).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      new RegExp(
        `the data of 'one' is in two places: ${root}/one .* and ${root}/apps/one .*never merges or overwrites.*mv ${root}/one ${root}/one\\.old`,
      ),
    );
    expect(await read('one', 'data', 'f')).toBe('old');
    expect(await read('apps', 'one', 'data', 'f')).toBe('new');
    // The other app moved; the layout is not recorded as done.
    expect(await read('apps', 'two', 'data', 'f')).toBe('2');
    expect((await readLayoutState(layout)).pending).toBe(true);

    await rm(join(root, 'apps', 'one'), { recursive: true });
    expect((await migrateDataLayout(layout)).moved).toEqual(['one']);
    expect(await read('apps', 'one', 'data', 'f')).toBe('old');
  });

  it('refuses files in DATA_DIR/apps before the migration when no app named "apps" owns them', async () => {
    await record('one');
    await put(join(root, 'apps', 'one', 'data', 'f'), 'whose?');
    await expect(migrateDataLayout(layout)).rejects.toThrow(/apps holds files.*not clear whose.*mv /);
    await record('apps'); // even with one: entries named after other apps mean it is not that app's data
    await expect(migrateDataLayout(layout)).rejects.toThrow(/not clear whose/);
    expect(await read('apps', 'one', 'data', 'f')).toBe('whose?');
  });

  it('refuses a damaged state file and a newer layout rather than guess', async () => {
    await put(layout.layoutStateFile, '{"version":');
    await expect(migrateDataLayout(layout)).rejects.toThrow(/layout\.json is damaged/);
    await put(layout.layoutStateFile, '{"version": 3}');
    await expect(migrateDataLayout(layout)).rejects.toThrow(/data layout 3, newer than this daemon knows/);
  });

  it('knownAppIds: records, kept configs and intents, valid ids only', async () => {
    await record('a');
    await keptConfig('b');
    await put(
      join(root, 'state', 'intents', 'c.json'),
      JSON.stringify({ app: 'c', from: { id: 'd' }, to: { id: '../x' } }),
    );
    await put(join(root, 'state', 'apps', '.tmp.json'), '{}');
    expect(await knownAppIds(layout)).toEqual(['a', 'b', 'c', 'd']);
  });
});
