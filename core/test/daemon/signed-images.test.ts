import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import {
  generateSigningKeyPair,
  readSigningKeyFile,
  RegistryClient,
  signImage,
  type Digest,
} from '../../src/security/image-signing/index.js';
import { freePort, HELLO_REPOSITORY, registry, tempDataDir, uniqueAppId } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { expectNothingLeft } from './leftovers.js';
import { writeHelloManifest } from './manifests.js';

/** Signed images through the daemon: verified against trusted keys, then run by digest. */
describe('the daemon runs only images signed by a trusted key (real registry, real signatures)', () => {
  let daemon: TestDaemon;
  let dir: string;
  let publisherKey: string;
  let strangerKey: string;
  const client = new RegistryClient({ registry: registry(), insecure: true });

  /** A byte-for-byte copy of the hello image in a repository of its own. */
  async function privateCopy(name: string): Promise<string> {
    const repository = `archy-test/signing/${uniqueAppId(name)}`;
    const manifest = (await client.getManifest(HELLO_REPOSITORY, '1.0.0'))!;
    const parsed = JSON.parse(manifest.bytes.toString()) as {
      config: { digest: Digest };
      layers: { digest: Digest }[];
    };
    for (const { digest } of [parsed.config, ...parsed.layers]) {
      await client.pushBlob(
        repository,
        await client.getBlob(HELLO_REPOSITORY, digest, { maxBytes: 64 * 1024 * 1024 }),
      );
    }
    await client.putManifest(repository, '1.0.0', manifest.bytes, manifest.mediaType);
    return `${registry()}/${repository}:1.0.0`;
  }

  beforeAll(async () => {
    dir = tempDataDir('signed');
    const keys = tempDataDir('keys');
    const publisher = await generateSigningKeyPair(join(keys, 'publisher'));
    const stranger = await generateSigningKeyPair(join(keys, 'stranger'));
    publisherKey = await readSigningKeyFile(publisher.privateKeyPath);
    strangerKey = await readSigningKeyFile(stranger.privateKeyPath);
    // The node trusts the publisher's public key only.
    mkdirSync(join(dir, 'trust', 'image-keys'), { recursive: true });
    copyFileSync(publisher.publicKeyPath, join(dir, 'trust', 'image-keys', 'publisher.pub'));
    daemon = await startDaemon({ dataDir: dir, env: { ARCHY_UNSIGNED_REGISTRIES: '' } });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const manifestFor = (id: string, image: string, port: number): string =>
    writeHelloManifest(dir, { id, hostPort: port, image });

  it('accepts an image signed by a trusted key and runs it by digest', async () => {
    const image = await privateCopy('signed');
    const signed = await signImage({ imageRef: image, privateKeyPem: publisherKey, registryInsecure: true });
    const id = uniqueAppId('trusted');
    const status = await daemon.cliJson<AppStatus>(['install', manifestFor(id, image, await freePort())]);
    expect(status.state).toBe('running');
    const imageName = (await podman(['inspect', '--format', '{{.ImageName}}', `archy-${id}`])).trim();
    expect(imageName).toBe(`${image.replace(/:1\.0\.0$/, '')}@${signed.digest}`);
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('refuses an unsigned image and leaves nothing', async () => {
    const image = await privateCopy('unsigned');
    const id = uniqueAppId('unsigned');
    const result = await daemon.cli(['install', manifestFor(id, image, await freePort())]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not signed/);
    await expectNothingLeft(daemon, id);
  });

  it('runs an unsigned upstream image that a bundled manifest pins by digest, and only then', async () => {
    // The bundled manifests (apps/) ship with the daemon: an image they pin by digest is exactly
    // the content they chose. The same manifest brought by the user still needs a signature.
    const image = await privateCopy('pinned');
    const repository = image.slice(registry().length + 1, -':1.0.0'.length);
    const pinned = `${image}@${await client.resolveDigest(repository, '1.0.0')}`;
    const id = uniqueAppId('pinned');
    const appsDir = tempDataDir('bundled-apps');
    mkdirSync(join(appsDir, id));
    renameSync(
      writeHelloManifest(appsDir, { id, hostPort: await freePort(), image: pinned }),
      join(appsDir, id, 'manifest.yml'),
    );

    const userBrought = await daemon.cli(['install', join(appsDir, id, 'manifest.yml')]);
    expect(userBrought.code).not.toBe(0);
    expect(userBrought.stderr).toMatch(/not signed/);
    await expectNothingLeft(daemon, id);

    const bundling = await startDaemon({
      dataDir: tempDataDir('bundled-pin'),
      env: { ARCHY_UNSIGNED_REGISTRIES: '', ARCHY_APPS_DIR: appsDir },
    });
    try {
      const status = await bundling.cliJson<AppStatus>(['install', id]);
      expect(status.state).toBe('running');
      const imageName = (await podman(['inspect', '--format', '{{.ImageName}}', `archy-${id}`])).trim();
      expect(imageName).toBe(pinned.replace(/:1\.0\.0@/, '@'));
      await bundling.cli(['remove', id, '--purge', '--yes']);
    } finally {
      await bundling.stop();
    }
  });

  it('refuses an image signed only by an untrusted key and leaves nothing', async () => {
    const image = await privateCopy('untrusted');
    await signImage({ imageRef: image, privateKeyPem: strangerKey, registryInsecure: true });
    const id = uniqueAppId('untrusted');
    const result = await daemon.cli(['install', manifestFor(id, image, await freePort())]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not by a trusted key/);
    await expectNothingLeft(daemon, id);
  });
});
