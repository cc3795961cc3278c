// Test images never carry a production name: a node sharing this container storage (npm start
// as the same user) must never find the bitcoind TEST DOUBLE under 127.0.0.1:5000/archipelago/
// and run it as Bitcoin Core. Everything the test setup builds lives under
// 127.0.0.1:5000/archy-test/, and daemons get the tests' own catalog, which names only those.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppVersionsReport } from '../../src/api/contract.js';
import { BITCOIN_APPS, writeBitcoinApps } from '../daemon/bitcoin-apps.js';
import { bitcoindDoubleVersions } from './bitcoind-double-images.js';
import { REGISTRY_HOST, TEST_IMAGE_NAMESPACE } from './constants.js';
import { startDaemon, type TestDaemon } from './daemon-harness.js';
import { tempDataDir, testCatalogDir } from './index.js';
import { podmanJson } from './podman-cli.js';
import { testReleases } from './test-catalog.js';
import { roleDoubleImageRefs } from './role-double-images.js';
import { CONTENT_LABEL, isProductionImageName, testImageRefs } from './test-images.js';

const TEST_PREFIX = `${REGISTRY_HOST}/${TEST_IMAGE_NAMESPACE}/`;
const setupImages = (): string[] => [
  ...testImageRefs(),
  ...bitcoindDoubleVersions().map((v) => v.image),
  ...roleDoubleImageRefs(),
];

describe('test images never carry a production name', () => {
  it('recognises production names on any registry, and test names as not', () => {
    for (const name of [
      '127.0.0.1:5000/archipelago/bitcoin-core:31.0',
      'localhost/archipelago/bitcoin-core:31.1',
      '127.0.0.1:5000/apps/hello:1.0.0',
      'archipelago/bitcoin-knots:29.3.knots20260508',
    ])
      expect(isProductionImageName(name), name).toBe(true);
    for (const name of [
      '127.0.0.1:5000/archy-test/bitcoin-core:31.0',
      '127.0.0.1:5000/archy-test/hello:1.0.0',
      '127.0.0.1:5000/archy-test-pipeline/abc/bitcoin-core:31.0',
    ])
      expect(isProductionImageName(name), name).toBe(false);
  });

  it('every image the setup builds is under 127.0.0.1:5000/archy-test/', () => {
    const images = setupImages();
    // Hello ×3 and crash, Core ×5 and Knots ×3: the list is not empty by accident.
    expect(images.length).toBeGreaterThanOrEqual(12);
    for (const image of images) {
      expect(image.startsWith(TEST_PREFIX), image).toBe(true);
      expect(isProductionImageName(image), image).toBe(false);
    }
  });

  it('no image a test setup built in this storage is named under archipelago/ or apps/', async () => {
    const built = await podmanJson<{ Names?: string[] | null }[]>([
      'images',
      '--filter',
      `label=${CONTENT_LABEL}`,
      '--format',
      'json',
    ]);
    const names = built.flatMap((image) => image.Names ?? []);
    // The setup's images are there (the label finds them)...
    expect(names).toEqual(expect.arrayContaining(setupImages()));
    // ...and not one carries a production name, from this run or an earlier one.
    expect(names.filter(isProductionImageName)).toEqual([]);
  });

  it("the tests' signed catalog names test images only", () => {
    const catalog = JSON.parse(readFileSync(join(testCatalogDir(), 'catalog.json'), 'utf8')) as {
      signed: { apps: Record<string, { image: string; versions: { image: string }[] }> };
    };
    const images = Object.values(catalog.signed.apps).flatMap((app) => [
      app.image,
      ...app.versions.map((v) => v.image),
    ]);
    expect(images.length).toBe(
      Object.values(testReleases().apps).reduce((sum, app) => sum + app.versions.length, 0) + 2,
    );
    for (const image of images) expect(image.startsWith(TEST_PREFIX), image).toBe(true);
  });
});

describe('a daemon started by the test harness', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startDaemon({
      dataDir: tempDataDir('image-names'),
      env: { ARCHY_APPS_DIR: await writeBitcoinApps() },
    });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("offers the tests' versions, every one a test image, never the production catalog's", async () => {
    for (const id of BITCOIN_APPS) {
      const report = await daemon.cliJson<AppVersionsReport>(['versions', id]);
      const expected = testReleases().apps[id]!;
      expect(report.defaultVersion).toBe(expected.default);
      expect(report.versions.map((v) => v.version)).toEqual(expected.versions.map((v) => v.version));
      for (const version of report.versions) {
        expect(version.image).toBe(`${TEST_PREFIX}${id}:${version.version}`);
        expect(isProductionImageName(version.image)).toBe(false);
      }
      // The notes travel with the versions (the UI and `archy versions` show them).
      const deprecated = report.versions.filter((v) => v.deprecated);
      expect(deprecated.map((v) => v.notes)).toEqual(
        expected.versions.filter((v) => v.deprecated).map((v) => v.notes),
      );
    }
  });
});
