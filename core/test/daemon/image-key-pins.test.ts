// Image keys pinned per app in the signed catalog: a key one publisher signs with vouches for the
// apps the catalog pins it to and for no other app, though the node trusts it. Real registry
// (127.0.0.1:5000), real cosign-format signatures, a catalog signed with keys made here.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { addVersion, emptyCatalog, pinImageKeys } from '../../src/catalog/index.js';
import {
  generateSigningKeyPair,
  readSigningKeyFile,
  signImage,
} from '../../src/security/image-signing/index.js';
import { freePort, registry, tempDataDir, uniqueAppId } from '../support/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { expectNothingLeft } from './leftovers.js';
import { writeHelloManifest } from './manifests.js';
import { writeSignedCatalog } from './release-fixture.js';
import { pushHelloCopy } from '../support/hello-copy.js';

/** A byte-for-byte copy of hello 1.0.0 at `<registry>/archy-test/key-pins/<name>:1.0.0`. */
async function imageCopy(name: string): Promise<string> {
  const repository = `archy-test/key-pins/${name}`;
  await pushHelloCopy(repository, '1.0.0', '1.0.0');
  return `${registry()}/${repository}:1.0.0`;
}

describe("a publisher's image key vouches only for the apps the signed catalog pins it to", () => {
  let daemon: TestDaemon | undefined;
  const appA = uniqueAppId('pin-a');
  const appB = uniqueAppId('pin-b');
  const images: Record<string, string> = {};
  const privateKeys: Record<'a' | 'b', string> = { a: '', b: '' };
  let workDir: string;

  beforeAll(async () => {
    workDir = tempDataDir('key-pins-work');
    const keysA = await generateSigningKeyPair(join(workDir, 'publisher-a'));
    const keysB = await generateSigningKeyPair(join(workDir, 'publisher-b'));
    privateKeys.a = await readSigningKeyFile(keysA.privateKeyPath);
    privateKeys.b = await readSigningKeyFile(keysB.privateKeyPath);
    images[appA] = await imageCopy(appA);
    images[appB] = await imageCopy(appB);

    // Publisher A's app is pinned to A's key, publisher B's to B's.
    let catalog = emptyCatalog();
    catalog = pinImageKeys(addVersion(catalog, appA, { version: '1.0.0', image: images[appA]! }), appA, [
      keysA.keyId,
    ]);
    catalog = pinImageKeys(addVersion(catalog, appB, { version: '1.0.0', image: images[appB]! }), appB, [
      keysB.keyId,
    ]);
    const catalogDir = writeSignedCatalog('key-pins-catalog', catalog);
    const appsDir = tempDataDir('key-pins-apps');
    for (const id of [appA, appB]) {
      mkdirSync(join(appsDir, id));
      const manifest = writeHelloManifest(appsDir, { id, hostPort: await freePort(), image: images[id] });
      copyFileSync(manifest, join(appsDir, id, 'manifest.yml'));
    }

    // The node trusts both publishers' keys: only the pins keep them apart.
    const dataDir = tempDataDir('key-pins');
    mkdirSync(join(dataDir, 'trust', 'image-keys'), { recursive: true });
    copyFileSync(keysA.publicKeyPath, join(dataDir, 'trust', 'image-keys', 'a.pub'));
    copyFileSync(keysB.publicKeyPath, join(dataDir, 'trust', 'image-keys', 'b.pub'));
    daemon = await startDaemon({
      dataDir,
      env: { ARCHY_ALLOW_UNSIGNED: '0', ARCHY_CATALOG_DIR: catalogDir, ARCHY_APPS_DIR: appsDir },
    });
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop();
  });

  it("runs A's app signed with A's key", async () => {
    await signImage({ imageRef: images[appA]!, privateKeyPem: privateKeys.a, registryInsecure: true });
    const status = await daemon!.cliJson<AppStatus>(['install', appA]);
    expect(status).toMatchObject({ id: appA, state: 'running' });
    await daemon!.cli(['remove', appA, '--purge', '--yes']);
  }, 120_000);

  it("refuses B's app signed with A's key, though the node trusts A's key, and leaves nothing", async () => {
    await signImage({ imageRef: images[appB]!, privateKeyPem: privateKeys.a, registryInsecure: true });
    const refused = await daemon!.cli(['install', appB]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`the signed catalog pins '${appB}' to key`);
    expect(refused.stderr).toContain(`that key is pinned to '${appA}'`);
    await expectNothingLeft(daemon!, appB);

    // Signed by its own publisher too, the same image runs: the key made the difference.
    await signImage({ imageRef: images[appB]!, privateKeyPem: privateKeys.b, registryInsecure: true });
    expect(await daemon!.cliJson<AppStatus>(['install', appB])).toMatchObject({ state: 'running' });
    await daemon!.cli(['remove', appB, '--purge', '--yes']);
  }, 120_000);

  it('refuses an app from a manifest file signed with a key pinned to another app', async () => {
    const id = uniqueAppId('pin-other');
    const image = await imageCopy(id);
    await signImage({ imageRef: image, privateKeyPem: privateKeys.a, registryInsecure: true });
    const manifest = writeHelloManifest(workDir, { id, hostPort: await freePort(), image });
    const refused = await daemon!.cli(['install', manifest]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`which the signed catalog pins to '${appA}' only`);
    await expectNothingLeft(daemon!, id);
  }, 120_000);
});
