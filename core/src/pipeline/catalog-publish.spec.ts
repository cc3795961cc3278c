import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyFiles, parseCatalogEnvelope } from '../catalog/index.js';
import { checkCatalogUpdate, publishToCatalog } from './catalog-publish.js';
import { refusedStep } from './pipeline-error.js';
import { tempFolder } from './spec-release-fixture.js';

let dir: string;
let key: string;
let otherKey: string;
beforeAll(async () => {
  dir = await tempFolder('catalog-publish');
  key = (await createKeyFiles(join(dir, 'keys'), 'catalog')).privateKeyPath;
  otherKey = (await createKeyFiles(join(dir, 'keys'), 'other')).privateKeyPath;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const entry = (version: string, d = 'a') => ({
  appId: 'bitcoin-core',
  version,
  image: `127.0.0.1:5000/archipelago/bitcoin-core:${version}`,
  digest: digest(d),
});

describe('publishToCatalog', () => {
  it('starts a missing catalog, then adds versions, bumping the signed version each time', async () => {
    const file = join(dir, 'catalog.json');
    const first = await publishToCatalog(file, key, entry('30.0'));
    expect(first.created).toBe(true);
    const second = await publishToCatalog(file, key, entry('31.0', 'b'));
    expect(second).toMatchObject({ created: false, envelope: { signed: { version: 2 } } });
    const stored = parseCatalogEnvelope(JSON.parse(await readFile(file, 'utf8')));
    const app = stored.signed.apps['bitcoin-core'] as {
      version: string;
      versions: { version: string; digest: string }[];
    };
    // The first version published stays the default until a publisher says otherwise.
    expect(app.version).toBe('30.0');
    expect(app.versions.map((v) => [v.version, v.digest])).toEqual([
      ['31.0', digest('b')],
      ['30.0', digest('a')],
    ]);
  });

  it("pins the image's signing key to the app, adding to the keys already pinned", async () => {
    const file = join(dir, 'pinned.json');
    await publishToCatalog(file, key, { ...entry('30.0'), imageKey: 'b'.repeat(64) });
    await publishToCatalog(file, key, { ...entry('31.0'), imageKey: 'a'.repeat(64) });
    await publishToCatalog(file, key, entry('31.1'));
    const stored = parseCatalogEnvelope(JSON.parse(await readFile(file, 'utf8')));
    expect((stored.signed.apps['bitcoin-core'] as { imageKeys: string[] }).imageKeys).toEqual([
      'a'.repeat(64),
      'b'.repeat(64),
    ]);
  });

  it('refuses to re-sign a catalog another key signed, leaving the file as it was', async () => {
    const file = join(dir, 'foreign.json');
    await publishToCatalog(file, otherKey, entry('30.0'));
    const before = await readFile(file, 'utf8');
    const error = await publishToCatalog(file, key, entry('31.0')).catch((e: unknown) => e);
    expect(refusedStep(error)).toBe('publish');
    expect((error as Error).message).toContain('is not signed by the catalog key');
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('refuses a catalog file edited after signing', async () => {
    const file = join(dir, 'edited.json');
    await publishToCatalog(file, key, entry('30.0'));
    await writeFile(file, (await readFile(file, 'utf8')).replace('"30.0"', '"30.9"'));
    await expect(publishToCatalog(file, key, entry('31.0'))).rejects.toThrow(/not signed by the catalog key/);
  });

  it('a catalog key that is missing is a config error', async () => {
    const error = await publishToCatalog(join(dir, 'x.json'), join(dir, 'nope.key'), entry('30.0')).catch(
      (e: unknown) => e,
    );
    expect(refusedStep(error)).toBe('config');
  });

  it('checkCatalogUpdate: a pre-flight that refuses, as config errors, a foreign catalog or another repository', async () => {
    const file = join(dir, 'preflight.json');
    await expect(checkCatalogUpdate(file, key, entry('31.0'))).resolves.toBeUndefined();
    await publishToCatalog(file, key, entry('30.0'));
    const elsewhere = { ...entry('31.0'), image: '127.0.0.1:5000/other/bitcoin-core:31.0' };
    const error = await checkCatalogUpdate(file, key, elsewhere).catch((e: unknown) => e);
    expect(refusedStep(error)).toBe('config');
    expect((error as Error).message).toContain("is not in bitcoin-core's repository");
    const foreign = await checkCatalogUpdate(file, otherKey, entry('31.0')).catch((e: unknown) => e);
    expect(refusedStep(foreign)).toBe('config');
  });
});
