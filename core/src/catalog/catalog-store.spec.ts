import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogStore, LAST_GOOD_FILE } from './catalog-store.js';
import { expiresIn, rotateRoot } from './publisher.js';
import type { Envelope, RootSigned } from './signed-metadata.js';
import { makeKeys, makeRoot, NOW, signedCatalog, type TestKeys } from './spec-fixtures.js';

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
      roots: { signed: { version: number } }[];
    };
    expect(saved.roots.map((r) => r.signed.version)).toEqual([2]);
    expect(JSON.parse(await readFile(join(dataDir, 'catalog', 'roots', '2.root.json'), 'utf8'))).toEqual(
      root2,
    );
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

/** Root N+1 with all-new keys, signed by the old root keys and the new ones. */
function rotated(from: Envelope<RootSigned>, oldKeys: TestKeys, newKeys: TestKeys): Envelope<RootSigned> {
  return rotateRoot(
    from,
    {
      rootKeys: newKeys.root.map((key) => key.publicKey),
      rootThreshold: 2,
      catalogKeys: newKeys.catalog.map((key) => key.publicKey),
      catalogThreshold: 2,
      expires: expiresIn(NOW, 365),
    },
    { oldRootKeys: oldKeys.root, newRootKeys: newKeys.root },
  );
}

/** What an attacker who can write DATA_DIR/catalog/ plants: a self-signed "next" root, a huge catalog. */
function forgery() {
  const attacker = makeKeys();
  // Signed by the attacker's keys only: it claims to be root 2 but no key of root 1 signed it.
  const forgedRoot = rotated(root, attacker, attacker);
  const hugeCatalog = signedCatalog(attacker.catalog, 999_999_999_999);
  return { forgedRoot, hugeCatalog };
}

const catalogFile = (name: string) => join(dataDir, 'catalog', name);

describe('CatalogStore: the stored root chain', () => {
  it('follows three rotations, stores each root, and chains them again from the bundled root at load', async () => {
    const k2 = makeKeys();
    const k3 = makeKeys();
    const k4 = makeKeys();
    const root2 = rotated(root, keys, k2);
    const root3 = rotated(root2, k2, k3);
    const root4 = rotated(root3, k3, k4);
    served['/catalog/2.root.json'] = root2;
    served['/catalog/3.root.json'] = root3;
    served['/catalog/4.root.json'] = root4;
    served['/catalog/catalog.json'] = signedCatalog(k4.catalog, 1);
    const store = newStore();
    await store.load();
    expect(await store.refresh(url)).toMatchObject({
      ok: true,
      snapshot: { rootVersion: 4, metadataVersion: 2 },
    });
    expect((await readdir(catalogFile('roots'))).sort()).toEqual([
      '2.root.json',
      '3.root.json',
      '4.root.json',
    ]);
    expect(await newStore().load()).toMatchObject({ source: 'stored', rootVersion: 4, metadataVersion: 2 });

    // A crash after last-good.json but before the roots' files: the load chains them from there.
    await rm(catalogFile('roots'), { recursive: true });
    expect(await newStore().load()).toMatchObject({ source: 'stored', rootVersion: 4, metadataVersion: 2 });
    expect((await readdir(catalogFile('roots'))).sort()).toEqual([
      '2.root.json',
      '3.root.json',
      '4.root.json',
    ]);

    // A root in the middle replaced by one the previous keys did not sign: the chain stops below it.
    const forgedRoot3 = rotated(root2, k3, k3);
    await writeFile(catalogFile('roots/3.root.json'), JSON.stringify(forgedRoot3));
    const saved = JSON.parse(await readFile(catalogFile(LAST_GOOD_FILE), 'utf8')) as Record<string, unknown>;
    await writeFile(catalogFile(LAST_GOOD_FILE), JSON.stringify({ ...saved, roots: [] }));
    warnings.length = 0;
    await expect(newStore().load()).rejects.toThrow(/no catalog verifies against root version 2/);
    expect(warnings.filter((w) => w.startsWith('discarding stored root'))).toHaveLength(2);
    expect(await readdir(catalogFile('roots'))).toEqual(['2.root.json']);
  });

  it('discards a self-signed stored root and a forged huge catalog; the genuine catalog loads and updates', async () => {
    const { forgedRoot, hugeCatalog } = forgery();
    await mkdir(catalogFile('roots'), { recursive: true });
    await writeFile(catalogFile('roots/2.root.json'), JSON.stringify(forgedRoot));
    await writeFile(catalogFile('roots/7.root.json'), JSON.stringify(forgedRoot)); // past a gap
    await writeFile(
      catalogFile(LAST_GOOD_FILE),
      JSON.stringify({ catalog: hugeCatalog, roots: [forgedRoot], fetchedAt: NOW.toISOString(), url }),
    );
    const store = newStore();
    expect(await store.load()).toMatchObject({ source: 'bundled', rootVersion: 1, metadataVersion: 1 });
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^discarding stored root roots\/2.root.json: it does not chain to the bundled root \(version 1\): root version 2 \(by the keys of root version 1\) has 0 valid signatures/,
        ),
        expect.stringMatching(
          /^discarding stored root roots\/7.root.json: .*stored root 2 below it does not chain/,
        ),
        expect.stringMatching(
          /^ignoring a root recorded with the stored catalog: root version 2 .* 0 valid signatures/,
        ),
        expect.stringMatching(
          /^ignoring the stored catalog: catalog version 1000000000000 has 0 valid signatures/,
        ),
      ]),
    );
    // Quarantined, not deleted: the evidence stays for the admin, with the reason beside it.
    const quarantined = (await readdir(catalogFile('quarantine'))).sort();
    expect(quarantined).toHaveLength(4);
    expect(quarantined.filter((name) => name.endsWith('.why'))).toHaveLength(2);
    expect(await readdir(catalogFile('roots'))).toEqual([]);

    // The high-water mark is the genuine catalog's: version 2 from the publisher is taken.
    served['/catalog/catalog.json'] = signedCatalog(keys.catalog, 1);
    expect(await store.refresh(url)).toMatchObject({
      ok: true,
      snapshot: { source: 'stored', metadataVersion: 2 },
    });
    expect(await newStore().load()).toMatchObject({ source: 'stored', rootVersion: 1, metadataVersion: 2 });
  });

  it('ignores a forged root in the old last-good.json layout (a single `root`)', async () => {
    const { forgedRoot, hugeCatalog } = forgery();
    await mkdir(catalogFile(''), { recursive: true });
    await writeFile(
      catalogFile(LAST_GOOD_FILE),
      JSON.stringify({ root: forgedRoot, catalog: hugeCatalog, fetchedAt: NOW.toISOString(), url }),
    );
    const store = newStore();
    expect(await store.load()).toMatchObject({ source: 'bundled', rootVersion: 1, metadataVersion: 1 });
    served['/catalog/catalog.json'] = signedCatalog(keys.catalog, 1);
    expect(await store.refresh(url)).toMatchObject({ ok: true, snapshot: { metadataVersion: 2 } });
  });

  it('does not follow a link planted in place of a stored file', async () => {
    const elsewhere = join(work, 'elsewhere.json');
    await writeFile(elsewhere, JSON.stringify(makeRoot(makeKeys())));
    await mkdir(catalogFile('roots'), { recursive: true });
    await symlink(elsewhere, catalogFile('roots/2.root.json'));
    expect(await newStore().load()).toMatchObject({ source: 'bundled', rootVersion: 1 });
    expect(warnings.some((w) => w.includes('2.root.json') && w.includes('is a symbolic link'))).toBe(true);
  });

  it('recovers from a compromised catalog key that signed a huge version, once the root replaces that key', async () => {
    // The genuine catalog key signed a huge version (stolen key, or a publisher's mistake).
    served['/catalog/catalog.json'] = signedCatalog(keys.catalog, 999_999_999);
    const store = newStore();
    await store.load();
    expect(await store.refresh(url)).toMatchObject({
      ok: true,
      snapshot: { metadataVersion: 1_000_000_000 },
    });

    // Without a key rotation the huge version binds: a genuine version 3 is a rollback.
    served['/catalog/catalog.json'] = signedCatalog(keys.catalog, 2);
    expect(await store.refresh(url)).toMatchObject({ ok: false, reason: 'rollback' });

    // The publisher rotates the catalog keys (root 2): the high-water mark is forgotten (TUF §5.3.11).
    const fresh = makeKeys();
    served['/catalog/2.root.json'] = rotated(root, keys, fresh);
    served['/catalog/catalog.json'] = signedCatalog(fresh.catalog, 2);
    expect(await store.refresh(url)).toMatchObject({
      ok: true,
      snapshot: { rootVersion: 2, metadataVersion: 3 },
    });
    expect(await newStore().load()).toMatchObject({ source: 'stored', rootVersion: 2, metadataVersion: 3 });
  });
});
