// Catalog digests pin images: a version whose signed catalog entry carries a digest runs exactly
// that digest, and is refused when the registry's tag has moved to other content — at install and
// at set-version, with the test registry in ARCHY_UNSIGNED_REGISTRIES too (the pin comes from the signed catalog), and
// together with the signature check when that is on. Real registry (127.0.0.1:5000), a catalog
// signed with keys made here and trusted through ARCHY_CATALOG_DIR.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { addVersion, emptyCatalog } from '../../src/catalog/index.js';
import {
  generateSigningKeyPair,
  readSigningKeyFile,
  signImage,
  type Digest,
} from '../../src/security/image-signing/index.js';
import { freePort, registry, tempDataDir, uniqueAppId } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { expectNothingLeft } from './leftovers.js';
import { writeHelloManifest } from './manifests.js';
import { writeSignedCatalog } from './release-fixture.js';
import { pushHelloCopy } from '../support/hello-copy.js';

/**
 * A daemon whose trusted catalog (root and catalog signed here) lists one hello app in its own
 * repository at 1.0.0 and 1.1.0, each pinned to the digest pushed for it.
 */
async function daemonWithPinnedApp(
  name: string,
  env: Record<string, string>,
): Promise<{ daemon: TestDaemon; id: string; repo: string; digests: Record<string, Digest> }> {
  const id = uniqueAppId(name);
  const repository = `archy-test/pins/${id}`;
  const repo = `${registry()}/${repository}`;
  const digests = {
    '1.0.0': await pushHelloCopy(repository, '1.0.0', '1.0.0'),
    '1.1.0': await pushHelloCopy(repository, '1.1.0', '1.1.0'),
  };
  let catalog = emptyCatalog();
  for (const [version, digest] of Object.entries(digests)) {
    catalog = addVersion(catalog, id, { version, image: `${repo}:${version}`, digest });
  }
  const catalogDir = writeSignedCatalog(`${name}-catalog`, catalog);

  const appsDir = tempDataDir(`${name}-apps`);
  mkdirSync(join(appsDir, id));
  const manifest = writeHelloManifest(appsDir, { id, hostPort: await freePort(), image: `${repo}:1.0.0` });
  copyFileSync(manifest, join(appsDir, id, 'manifest.yml'));

  const daemon = await startDaemon({
    dataDir: tempDataDir(name),
    env: { ARCHY_CATALOG_DIR: catalogDir, ARCHY_APPS_DIR: appsDir, ...env },
  });
  return { daemon, id, repo, digests };
}

const imageOf = async (id: string): Promise<string> =>
  (await podman(['inspect', '--format', '{{.ImageName}}', `archy-${id}`])).trim();

describe('catalog digests pin images (unsigned test registry: no signatures, the pin still holds)', () => {
  let daemon: TestDaemon | undefined;
  afterAll(async () => {
    await daemon?.stop();
  });

  it('installs the pinned digest, refuses a set-version and an install whose tag moved, leaving nothing', async () => {
    const setup = await daemonWithPinnedApp('pinned', {});
    daemon = setup.daemon;
    const { id, repo, digests } = setup;

    const installed = await daemon.cliJson<AppStatus>(['install', id, '--version', '1.0.0']);
    expect(installed).toMatchObject({ version: '1.0.0', state: 'running' });
    expect(await imageOf(id)).toBe(`${repo}@${digests['1.0.0']}`);

    // Someone re-pushes 1.1.0 with other content (hello 2.0.0's image).
    const moved = await pushHelloCopy(`archy-test/pins/${id}`, '1.1.0', '2.0.0');
    expect(moved).not.toBe(digests['1.1.0']);
    const refused = await daemon.cli(['set-version', id, '1.1.0']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(digests['1.1.0']);
    expect(refused.stderr).toContain(moved);
    expect(refused.stderr).toContain('the tag was moved');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    const after = await daemon.cliJson<AppStatus>(['status', id]);
    expect(after).toMatchObject({ version: '1.0.0', state: 'running' });
    expect(await imageOf(id)).toBe(`${repo}@${digests['1.0.0']}`);

    // And an install of a moved tag: refused, and nothing of the app is left.
    await daemon.cli(['remove', id, '--purge', '--yes']);
    const movedToo = await pushHelloCopy(`archy-test/pins/${id}`, '1.0.0', '2.0.0');
    const install = await daemon.cli(['install', id, '--version', '1.0.0']);
    expect(install.code).not.toBe(0);
    expect(install.stderr).toContain(digests['1.0.0']);
    expect(install.stderr).toContain(movedToo);
    await expectNothingLeft(daemon, id);
  }, 120_000);
});

describe('catalog digests and signatures together (ARCHY_UNSIGNED_REGISTRIES empty)', () => {
  let daemon: TestDaemon | undefined;
  afterAll(async () => {
    await daemon?.stop();
  });

  it('runs the pinned digest once its signature verifies; a set-version to an unsigned pinned image is refused', async () => {
    const keys = tempDataDir('pin-keys');
    const publisher = await generateSigningKeyPair(join(keys, 'publisher'));
    const setup = await daemonWithPinnedApp('pinned-signed', { ARCHY_UNSIGNED_REGISTRIES: '' });
    daemon = setup.daemon;
    const { id, repo, digests } = setup;
    mkdirSync(join(daemon.dataDir, 'trust', 'image-keys'), { recursive: true });
    copyFileSync(publisher.publicKeyPath, join(daemon.dataDir, 'trust', 'image-keys', 'publisher.pub'));
    await signImage({
      imageRef: `${repo}:1.0.0`,
      privateKeyPem: await readSigningKeyFile(publisher.privateKeyPath),
      registryInsecure: true,
    });

    const installed = await daemon.cliJson<AppStatus>(['install', id, '--version', '1.0.0']);
    expect(installed).toMatchObject({ version: '1.0.0', state: 'running' });
    expect(await imageOf(id)).toBe(`${repo}@${digests['1.0.0']}`);

    // 1.1.0 matches its pin but nobody signed it: the pin does not replace the signature check.
    const unsigned = await daemon.cli(['set-version', id, '1.1.0']);
    expect(unsigned.code).not.toBe(0);
    expect(unsigned.stderr).toMatch(/not signed/);
    expect(await daemon.cliJson<AppStatus>(['status', id])).toMatchObject({ version: '1.0.0' });
    await daemon.cli(['remove', id, '--purge', '--yes']);
  }, 120_000);
});
