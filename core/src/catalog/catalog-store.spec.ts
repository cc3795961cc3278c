import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogStore, LAST_GOOD_FILE } from './catalog-store.js';
import { expiresIn, rotateRoot } from './publisher.js';
import { makeKeys, makeRoot, NOW, signedCatalog } from './spec-fixtures.js';

const keys = makeKeys();
const root = makeRoot(keys);

let work: string;
let bundledDir: string;
let dataDir: string;
let served: Record<string, unknown>;
let server: Server;
let url: string;
let now: Date;
const warnings: string[] = [];

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'archy-catalog-store-'));
  bundledDir = join(work, 'bundled');
  dataDir = join(work, 'data');
  await mkdir(bundledDir);
  await writeFile(join(bundledDir, 'root.json'), JSON.stringify(root));
  await writeFile(join(bundledDir, 'catalog.json'), JSON.stringify(signedCatalog(keys.catalog, 0)));
  served = {};
  now = NOW;
  warnings.length = 0;
  server = createServer((request, response) => {
    const body = served[request.url ?? ''];
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/catalog`;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(work, { recursive: true, force: true });
});

const newStore = () =>
  new CatalogStore({ dataDir, bundledDir, now: () => now, warn: (message) => warnings.push(message) });

describe('CatalogStore', () => {
  it('uses the bundled catalog when none is stored', async () => {
    const store = newStore();
    const snapshot = await store.load();
    expect(snapshot).toMatchObject({ source: 'bundled', metadataVersion: 1, rootVersion: 1 });
    expect(store.status()).toEqual({
      source: 'bundled',
      metadataVersion: 1,
      rootVersion: 1,
      expires: '2026-07-22T12:00:00Z',
      expired: false,
    });
  });

  it('refreshes, stores the last good catalog and reports its age', async () => {
    served['/catalog/catalog.json'] = signedCatalog(keys.catalog, 4);
    const store = newStore();
    await store.load();
    const result = await store.refresh(url);
    expect(result).toMatchObject({
      ok: true,
      changed: true,
      snapshot: { source: 'stored', metadataVersion: 5 },
    });

    now = new Date(NOW.getTime() + 90_000);
    expect(store.status()).toEqual({
      source: 'stored',
      metadataVersion: 5,
      rootVersion: 1,
      expires: '2026-07-22T12:00:00Z',
      expired: false,
      fetchedAt: NOW.toISOString(),
      ageSeconds: 90,
      lastRefresh: { at: NOW.toISOString(), url, ok: true },
    });
    // A restart picks the stored catalog over the older bundled one.
    expect(await newStore().load()).toMatchObject({
      source: 'stored',
      metadataVersion: 5,
      fetchedAt: NOW.toISOString(),
      url,
    });
  });

  it('keeps the last good catalog when a refresh is refused, and says why', async () => {
    served['/catalog/catalog.json'] = signedCatalog(keys.catalog, 4);
    const store = newStore();
    await store.load();
    await store.refresh(url);

    served['/catalog/catalog.json'] = signedCatalog(keys.catalog, 1); // version 2: a rollback
    const rollback = await store.refresh(url);
    expect(rollback).toMatchObject({ ok: false, reason: 'rollback', snapshot: { metadataVersion: 5 } });
    expect(store.status().lastRefresh).toMatchObject({ ok: false, reason: 'rollback' });

    const tampered = signedCatalog(keys.catalog, 5);
    tampered.signed.expires = '2030-01-01T00:00:00Z';
    served['/catalog/catalog.json'] = tampered;
    expect(await store.refresh(url)).toMatchObject({ ok: false, reason: 'signatures' });

    served['/catalog/catalog.json'] = signedCatalog(keys.catalog, 5, expiresIn(NOW, -40));
    expect(await store.refresh(url)).toMatchObject({ ok: false, reason: 'expired' });

    served['/catalog/catalog.json'] = 'not json';
    expect(await store.refresh(url)).toMatchObject({
      ok: false,
      reason: 'malformed',
      error: `${url}/catalog.json is not JSON`,
    });

    delete served['/catalog/catalog.json'];
    expect(await store.refresh(url)).toMatchObject({
      ok: false,
      reason: 'unavailable',
      error: `cannot fetch the catalog from ${url}: ${url}/catalog.json answered HTTP 404`,
    });
    expect(store.current().metadataVersion).toBe(5);
    expect(warnings.at(-1)).toBe(
      `catalog refresh failed; keeping catalog version 5: cannot fetch the catalog from ${url}: ${url}/catalog.json answered HTTP 404`,
    );
  });

  it('refuses a different catalog under the version it already has', async () => {
    served['/catalog/catalog.json'] = signedCatalog(keys.catalog, 0, new Date(NOW.getTime() + 1000));
    const store = newStore();
    await store.load();
    const result = await store.refresh(url);
    expect(result).toMatchObject({ ok: false, reason: 'rollback' });
    expect(result.ok === false && result.error).toBe(
      `catalog version 1 at ${url} differs from the version 1 this node already has; a publisher bumps the version with every change, so this one is refused`,
    );
  });

  it('follows a root rotation and keeps the new root across restarts', async () => {
    const next = makeKeys();
    const root2 = rotateRoot(
      root,
      {
        rootKeys: next.root.map((key) => key.publicKey),
        rootThreshold: 2,
        catalogKeys: next.catalog.map((key) => key.publicKey),
        catalogThreshold: 2,
        expires: expiresIn(NOW, 365),
      },
      { oldRootKeys: keys.root, newRootKeys: next.root },
    );
    served['/catalog/2.root.json'] = root2;
    served['/catalog/catalog.json'] = signedCatalog(next.catalog, 1);
    const store = newStore();
    await store.load();
    expect(await store.refresh(url)).toMatchObject({
      ok: true,
      snapshot: { rootVersion: 2, metadataVersion: 2 },
    });
    const saved = JSON.parse(await readFile(join(dataDir, 'catalog', LAST_GOOD_FILE), 'utf8')) as {
      root: { signed: { version: number } };
    };
    expect(saved.root.signed.version).toBe(2);
    // The bundled catalog (signed by the old catalog keys) no longer verifies; the stored one does.
    expect(await newStore().load()).toMatchObject({ source: 'stored', rootVersion: 2, metadataVersion: 2 });
  });

  it('shows an expired last good catalog as expired rather than dropping it', async () => {
    const store = newStore();
    await store.load();
    now = expiresIn(NOW, 31);
    expect(store.status()).toMatchObject({ source: 'bundled', expired: true });
    expect(await newStore().load()).toMatchObject({ source: 'bundled' });
  });

  it('ignores a stored catalog altered on disk', async () => {
    served['/catalog/catalog.json'] = signedCatalog(keys.catalog, 4);
    const store = newStore();
    await store.load();
    await store.refresh(url);
    const path = join(dataDir, 'catalog', LAST_GOOD_FILE);
    const saved = JSON.parse(await readFile(path, 'utf8')) as {
      catalog: { signed: { apps: Record<string, unknown> } };
    };
    saved.catalog.signed.apps['evil'] = { version: '1.0.0', image: 'evil.example/x:1.0.0' };
    await writeFile(path, JSON.stringify(saved));
    expect(await newStore().load()).toMatchObject({ source: 'bundled', metadataVersion: 1 });
    expect(
      warnings.some((warning) =>
        warning.startsWith('ignoring the stored catalog: catalog version 5 has 0 valid signatures'),
      ),
    ).toBe(true);
  });
});
