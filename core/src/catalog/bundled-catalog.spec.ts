import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleCatalog, curatedCatalog, RELEASES_FILE, type CuratedReleases } from './bundle-catalog.js';
import { BUNDLED_CATALOG_DIR } from './catalog-store.js';
import { parseRoot } from './signed-metadata.js';
import { verifyCatalog } from './trust.js';

const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(path, 'utf8'));

describe('the committed bundled catalog', () => {
  it('verifies against the committed root and lists the curated releases', async () => {
    const trustedRoot = await readJson(join(BUNDLED_CATALOG_DIR, 'root.json'));
    const catalogMetadata = await readJson(join(BUNDLED_CATALOG_DIR, 'catalog.json'));
    let verified;
    try {
      verified = verifyCatalog({ trustedRoot, catalogMetadata, now: new Date() });
    } catch (err) {
      throw new Error(
        `${(err as Error).message}\nRe-sign the bundled catalog: npm run build && node scripts/bundle-catalog.mjs`,
      );
    }
    expect(verified.dropped).toEqual([]);
    const releases = (await readJson(join(BUNDLED_CATALOG_DIR, RELEASES_FILE))) as CuratedReleases;
    // The signed catalog says what releases.json says: nobody edited one without re-signing.
    const expected = curatedCatalog(releases, 0).apps;
    expect(verified.metadata.signed.apps).toEqual(expected);
    const core = verified.catalog.apps['bitcoin-core']!;
    expect(core.version).toBe('31.1');
    expect(core.versions.map((v) => v.version)).toEqual(['31.1', '30.3', '29.4', '28.4', '27.2']);
    expect(verified.catalog.apps['bitcoin-knots']!.version).toBe('29.4.2.knots20260508');
    for (const app of Object.values(verified.catalog.apps)) {
      for (const version of app.versions) {
        // Digests are filled in by the image pipeline, never invented here.
        expect(version.digest).toBeUndefined();
        // Every version is built on the node from its official release, for both CPUs we support.
        expect(version.image).toBe(`localhost/archipelago/${app.id}:${version.version}`);
        expect(Object.keys(version.release!.files).sort()).toEqual(['aarch64-linux-gnu', 'x86_64-linux-gnu']);
        expect(version.release!.sources.every((source) => source.startsWith('https://'))).toBe(true);
        expect(version.release!.threshold).toBeLessThanOrEqual(version.release!.builders.length);
      }
    }
    // The facts checked against bitcoin-core/guix.sigs (31.1/<builder>/noncodesigned.SHA256SUMS).
    expect(core.versions[0]!.release!.files['x86_64-linux-gnu']).toEqual({
      name: 'bitcoin-31.1-x86_64-linux-gnu.tar.gz',
      sha256: 'b80d9c3e04da78fb6f0569685673418cf686fadba9042d926d13fb87ff503f9e',
    });
    expect(core.versions[0]!.release!.threshold).toBe(3);
    expect(parseRoot(await readJson(join(BUNDLED_CATALOG_DIR, '1.root.json'))).signed.version).toBe(1);
  });

  it('holds no private key', async () => {
    for (const name of ['root.json', '1.root.json', 'catalog.json', RELEASES_FILE]) {
      expect(await readFile(join(BUNDLED_CATALOG_DIR, name), 'utf8')).not.toMatch(/PRIVATE KEY/);
    }
  });
});

describe('bundleCatalog', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'archy-bundle-'));
    await cp(join(BUNDLED_CATALOG_DIR, RELEASES_FILE), join(work, 'out', RELEASES_FILE));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('creates keys outside the output and a root, then re-signs with a higher version', async () => {
    const keysDir = join(work, 'keys');
    const outDir = join(work, 'out');
    const now = new Date('2026-06-22T12:00:00Z');
    const first = await bundleCatalog({ outDir, keysDir, now });
    expect(first.createdKeys).toBe(true);
    expect((await stat(join(keysDir, 'root.key'))).mode & 0o777).toBe(0o600);
    const second = await bundleCatalog({ outDir, keysDir, now });
    expect(second).toMatchObject({
      createdKeys: false,
      catalog: { signed: { version: 2, expires: '2027-06-22T12:00:00Z' } },
    });
    const verified = verifyCatalog({
      trustedRoot: await readJson(join(outDir, 'root.json')),
      catalogMetadata: await readJson(join(outDir, 'catalog.json')),
      now,
      lastSeenVersion: 1,
    });
    expect(Object.keys(verified.catalog.apps)).toEqual(['bitcoin-core', 'bitcoin-knots']);
  });

  it('refuses to re-sign for a root whose keys are not here, unless asked for a new root', async () => {
    const outDir = join(work, 'out');
    await bundleCatalog({ outDir, keysDir: join(work, 'keys-a') });
    await expect(bundleCatalog({ outDir, keysDir: join(work, 'keys-b') })).rejects.toThrow(
      `the committed root (version 1) trusts other keys than those in ${join(work, 'keys-b')}; copy the keys that signed it there, or start a new dev root with --new-root`,
    );
    const fresh = await bundleCatalog({ outDir, keysDir: join(work, 'keys-b'), newRoot: true });
    expect(fresh.catalog.signed.version).toBe(2);
  });
});
