import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeKeys, makeRoot, signedCatalog } from '../catalog/spec-fixtures.js';
import type { AppManifest } from '../manifest/index.js';
import { AppConfigStore } from '../orchestrator/app-config.js';
import { CatalogService } from '../orchestrator/catalog-service.js';
import { DataLayout } from '../layout/index.js';
import { AppVersionControl } from './version-control.js';
import type { VersionSwitch } from './version-switch.js';

// The auto-updater's decision, with a real catalog service (signed catalogs on disk, verified at
// load) and real app configs; the version switch itself only records what it was asked to do.

const keys = makeKeys();
const root = makeRoot(keys, undefined, new Date('2099-01-01T00:00:00Z'));
const manifest = { id: 'bitcoin-core', image: '127.0.0.1:5000/archipelago/bitcoin-core:30.0' } as AppManifest;

let work: string;
let switched: { id: string; version: string }[];
let logged: string[];

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'archy-version-control-'));
  switched = [];
  logged = [];
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A node running bitcoin-core 30.0 with auto-update on, whose catalog's default is 31.0. */
async function nodeWithCatalog(signedAt: Date, validDays: number) {
  const bundledDir = join(work, 'bundled');
  const dataDir = join(work, 'data');
  await mkdir(bundledDir, { recursive: true });
  await writeFile(join(bundledDir, 'root.json'), JSON.stringify(root));
  await writeFile(
    join(bundledDir, 'catalog.json'),
    JSON.stringify(signedCatalog(keys.catalog, 0, signedAt, validDays)),
  );
  const catalog = new CatalogService({ dataDir, bundledDir, logger: pino({ level: 'silent' }) });
  await catalog.load();
  const configs = new AppConfigStore(new DataLayout(dataDir));
  await configs.update('bitcoin-core', { autoUpdate: true });
  const switcher = {
    setVersion: (params: { id: string; version: string }) => {
      switched.push({ id: params.id, version: params.version });
      return Promise.resolve({});
    },
  } as unknown as VersionSwitch;
  new AppVersionControl({
    catalog,
    configs,
    switcher,
    appInfo: () => Promise.resolve({ installedVersion: '30.0', manifest }),
    installedIds: () => ['bitcoin-core'],
    log: (_level, _details, message) => logged.push(message),
  });
  return catalog;
}

describe('auto-update', () => {
  it('moves an app to the catalog default after a check of a current catalog', async () => {
    const catalog = await nodeWithCatalog(new Date(), 30);
    await catalog.check();
    expect(switched).toEqual([{ id: 'bitcoin-core', version: '31.0' }]);
  });

  it('does not update from an expired catalog, and says so', async () => {
    const catalog = await nodeWithCatalog(new Date('2020-01-01T00:00:00Z'), 30);
    expect(catalog.status().expired).toBe(true);
    await catalog.check();
    expect(switched).toEqual([]);
    expect(logged).toEqual([
      'auto-update paused: catalog version 1 expired at 2020-01-31T00:00:00Z; apps update on their own again once a fresh signed catalog arrives',
    ]);
  });
});
