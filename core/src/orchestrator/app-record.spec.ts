import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataLayout } from '../layout/index.js';
import { StoredFileError } from '../util/json-store.js';
import { AppRecordStore, type AppRecord } from './app-record.js';

/** A record with every key the code can write (TypeScript's Required<> keeps this list honest). */
const FULL: Required<AppRecord> = {
  id: 'bitcoin-core',
  manifestYaml: 'id: bitcoin-core\n',
  manifestFile: '/srv/bitcoin-core.yaml',
  version: '28.1',
  image: '127.0.0.1:5000/archipelago/bitcoin-core:28.1',
  runImage: `127.0.0.1:5000/archipelago/bitcoin-core@sha256:${'a'.repeat(64)}`,
  phase: 'installed',
  desired: 'running',
  installedAt: '2026-01-01T00:00:00.000Z',
  containerId: 'c0ffee',
  createdDataDir: true,
  bindings: { bitcoin: 'bitcoin-core' },
  firstStartArgs: { args: ['-reindex'], spent: false },
  catalogDigest: `sha256:${'b'.repeat(64)}`,
  bitcoin: { network: 'signet', prune: 10 },
  imported: {
    origin: { kind: 'umbrel', app: 'bitcoin-core', upstreamVersion: '28.1', source: 'getumbrel/umbrel-apps' },
    confirmedAt: '2026-01-01T00:00:00.000Z',
    images: [`127.0.0.1:5000/archipelago/bitcoin-core@sha256:${'a'.repeat(64)}`],
  },
  adopted: {
    source: { kind: 'parmanode', home: '/home/parman', entry: 'bitcoin' },
    volumes: { bitcoin: '/media/parman/parmanode/.bitcoin' },
    originalOwner: { uid: 1000, gid: 1000 },
    hostServices: [{ kind: 'systemd', name: 'bitcoind.service' }],
    adoptedAt: '2026-01-02T00:00:00.000Z',
  },
};

let dir: string;
let layout: DataLayout;
let store: AppRecordStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-app-record-'));
  layout = new DataLayout(dir);
  store = new AppRecordStore(layout);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('AppRecordStore', () => {
  it('round-trips a record with every key, keeping the on-disk keys as they were', async () => {
    await store.save(FULL);
    expect(await store.load(FULL.id)).toEqual(FULL);
    const onDisk = JSON.parse(await readFile(layout.appRecordFile(FULL.id), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(onDisk).toEqual({ ...FULL, schemaVersion: 1 });
  });

  it('reads a record written before format versions were stamped (version 1)', async () => {
    await mkdir(layout.appRecordsDir, { recursive: true });
    const {
      bindings: _b,
      firstStartArgs: _f,
      catalogDigest: _c,
      bitcoin: _bt,
      imported: _im,
      runImage: _r,
      containerId: _i,
      adopted: _a,
      ...old
    } = FULL;
    await writeFile(layout.appRecordFile(FULL.id), JSON.stringify(old));
    expect(await store.loadAll()).toEqual([old]);
  });

  it('names the file and the problem of a record that is not valid, apart from the good ones', async () => {
    await store.save(FULL);
    await writeFile(
      layout.appRecordFile('broken'),
      JSON.stringify({ ...FULL, id: 'broken', phase: 'halfway' }),
    );
    const { records, invalid } = await store.loadAllChecked();
    expect(records.map((r) => r.id)).toEqual(['bitcoin-core']);
    expect(invalid.map((i) => i.id)).toEqual(['broken']);
    expect(invalid[0]!.error.message).toContain(layout.appRecordFile('broken'));
    expect(invalid[0]!.error.message).toContain('phase');
    await expect(store.loadAll()).rejects.toBeInstanceOf(StoredFileError);
  });

  it("binds an adopted record's volumes in the layout on save and load, and unbinds them on delete", async () => {
    const fresh = new DataLayout(dir);
    const plain = join(dir, 'apps', 'bitcoin-core', 'bitcoin');
    await store.save(FULL);
    expect(layout.volumeDir('bitcoin-core', 'bitcoin')).toBe('/media/parman/parmanode/.bitcoin');
    // A daemon started afresh learns the binding from the record it loads at boot.
    expect(fresh.volumeDir('bitcoin-core', 'bitcoin')).toBe(plain);
    await new AppRecordStore(fresh).loadAll();
    expect(fresh.volumeDir('bitcoin-core', 'bitcoin')).toBe('/media/parman/parmanode/.bitcoin');
    expect(fresh.volumeDir('bitcoin-core', 'other')).toBe(join(dir, 'apps', 'bitcoin-core', 'other'));
    await store.delete('bitcoin-core');
    expect(layout.volumeDir('bitcoin-core', 'bitcoin')).toBe(plain);
  });
});
