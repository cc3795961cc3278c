// A byte-for-byte copy of the hello test image in another repository of the test registry: the same
// content under a name of the test's own, for tests that sign, pin or digest-check an image.

import { RegistryClient, type Digest } from '../../src/security/image-signing/index.js';
import { registry } from './index.js';
import { HELLO_REPOSITORY } from './test-images.js';

/** Puts the hello image of `helloVersion` byte for byte at `repository:tag`; returns its digest. */
export async function pushHelloCopy(repository: string, tag: string, helloVersion: string): Promise<Digest> {
  const client = new RegistryClient({ registry: registry(), insecure: true });
  const manifest = (await client.getManifest(HELLO_REPOSITORY, helloVersion))!;
  const parsed = JSON.parse(manifest.bytes.toString()) as {
    config: { digest: Digest };
    layers: { digest: Digest }[];
  };
  for (const { digest } of [parsed.config, ...parsed.layers]) {
    if (!(await client.blobExists(repository, digest)))
      await client.pushBlob(
        repository,
        await client.getBlob(HELLO_REPOSITORY, digest, { maxBytes: 64 << 20 }),
      );
  }
  return client.putManifest(repository, tag, manifest.bytes, manifest.mediaType);
}
