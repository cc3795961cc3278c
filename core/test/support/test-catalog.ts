// The tests' own catalog: the Bitcoin Core/Knots versions the suite plays with (test-releases.json,
// in the test repository 127.0.0.1:5000/archy-test/, where the bitcoind TEST DOUBLE is published)
// and, once per run, a signed catalog folder made from them with keys made right there. Tests never
// read the production catalog (repo catalog/): its versions and image names are the real ones.

import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  addVersion,
  createKeyFiles,
  createRoot,
  DEFAULT_ROOT_VALID_DAYS,
  emptyCatalog,
  expiresIn,
  readSigningKeyFile,
  signCatalog,
} from '../../src/catalog/index.js';
import { REGISTRY_HOST, TEST_IMAGE_NAMESPACE } from './constants.js';

export interface TestReleases {
  /** `127.0.0.1:5000/archy-test`: every image below it is a test image. */
  registry: string;
  apps: Record<
    string,
    {
      repository: string;
      default: string;
      versions: { version: string; deprecated?: boolean; notes?: string }[];
    }
  >;
}

const RELEASES_FILE = new URL('./test-releases.json', import.meta.url);

/** test-releases.json, checked to publish under the test namespace only. */
export function testReleases(): TestReleases {
  const releases = JSON.parse(readFileSync(RELEASES_FILE, 'utf8')) as TestReleases;
  const expected = `${REGISTRY_HOST}/${TEST_IMAGE_NAMESPACE}`;
  if (releases.registry !== expected) {
    throw new Error(
      `core/test/support/test-releases.json names the registry ${releases.registry}; test images live ` +
        `under ${expected} only, never under a production name`,
    );
  }
  return releases;
}

/** The test image of one version: `127.0.0.1:5000/archy-test/bitcoin-core:31.0`. */
export function testReleaseImage(appId: string, version: string): string {
  const releases = testReleases();
  const app = releases.apps[appId];
  if (!app) throw new Error(`test-releases.json has no app ${appId}`);
  return `${releases.registry}/${app.repository}:${version}`;
}

/** The default version of `appId` in the tests' catalog. */
export function testDefaultVersion(appId: string): string {
  const app = testReleases().apps[appId];
  if (!app) throw new Error(`test-releases.json has no app ${appId}`);
  return app.default;
}

/**
 * Writes a signed catalog folder for the test releases under `dir`: `catalog/` (root.json,
 * 1.root.json, catalog.json — what ARCHY_CATALOG_DIR points at) and `keys/` (the Ed25519 root and
 * catalog keys made here, mode 0600 in a 0700 folder). Returns the catalog folder.
 */
export async function writeTestCatalog(dir: string, now = new Date()): Promise<string> {
  const keysDir = join(dir, 'keys');
  const catalogDir = join(dir, 'catalog');
  const rootKey = await readSigningKeyFile((await createKeyFiles(keysDir, 'root')).privateKeyPath);
  const catalogKey = await readSigningKeyFile((await createKeyFiles(keysDir, 'catalog')).privateKeyPath);
  const root = createRoot(
    {
      rootKeys: [rootKey.publicKey],
      rootThreshold: 1,
      catalogKeys: [catalogKey.publicKey],
      catalogThreshold: 1,
      expires: expiresIn(now, DEFAULT_ROOT_VALID_DAYS),
    },
    [rootKey],
  );
  const releases = testReleases();
  let catalog = emptyCatalog();
  for (const [appId, app] of Object.entries(releases.apps)) {
    for (const entry of app.versions) {
      catalog = addVersion(
        catalog,
        appId,
        { ...entry, image: `${releases.registry}/${app.repository}:${entry.version}` },
        { makeDefault: entry.version === app.default },
      );
    }
  }
  const signed = signCatalog(catalog, [catalogKey], { now });
  await mkdir(catalogDir, { recursive: true, mode: 0o700 });
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(join(catalogDir, 'root.json'), json(root));
  await writeFile(join(catalogDir, '1.root.json'), json(root));
  await writeFile(join(catalogDir, 'catalog.json'), json(signed));
  return catalogDir;
}
