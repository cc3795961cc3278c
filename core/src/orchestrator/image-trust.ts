import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RegistryClient, verifyImage } from '../security/image-signing/index.js';
import { catalogPinnedReference, registryReferenceOf } from './catalog-digest.js';
import { registryHost } from './image-ref.js';

export interface ImageTrustOptions {
  /** Folders of trusted cosign public keys (*.pub): the bundled ones and the node's own. */
  keyDirs: readonly string[];
  insecureRegistries: ReadonlySet<string>;
  /** ARCHY_ALLOW_UNSIGNED=1: development only, every use is logged loudly. */
  allowUnsigned: boolean;
  logger: Logger;
}

/**
 * Decides which reference an app's container runs: the image's digest, once its cosign
 * signature verified against a trusted key — so what runs is exactly what was signed, even if
 * the tag moves later. Fails closed: unsigned, untrusted, tampered or moved images are refused.
 */
export class ImageTrust {
  constructor(private readonly options: ImageTrustOptions) {}

  /**
   * The reference to pull and run. Throws an ArchyError saying why an image is refused. With
   * `catalogDigest` (the signed catalog pins the version's image), exactly that digest runs, and a
   * tag that no longer points at it is refused — also with ARCHY_ALLOW_UNSIGNED=1, since the pin
   * comes from the signed catalog, not from the image.
   */
  async runnableReference(appId: string, image: string, catalogDigest?: string): Promise<string> {
    if (catalogDigest !== undefined) {
      const pinned = await this.pinnedByCatalog(appId, image, catalogDigest);
      // The signature is checked on the pinned digest itself: what runs is what was signed.
      return this.options.allowUnsigned ? this.unsigned(appId, pinned) : this.verified(appId, pinned);
    }
    if (this.options.allowUnsigned) return this.unsigned(appId, image);
    return this.verified(appId, image);
  }

  private async pinnedByCatalog(appId: string, image: string, catalogDigest: string): Promise<string> {
    const { registry, repository, reference } = registryReferenceOf(image);
    const client = new RegistryClient({ registry, insecure: this.options.insecureRegistries.has(registry) });
    const registryDigest = await client.resolveDigest(repository, reference);
    const pinned = catalogPinnedReference({ appId, image, pinned: catalogDigest, registryDigest });
    this.options.logger.info(
      { app: appId, image, digest: catalogDigest },
      'image matches the catalog digest',
    );
    return pinned;
  }

  private unsigned(appId: string, image: string): string {
    this.options.logger.warn(
      { app: appId, image },
      'ARCHY_ALLOW_UNSIGNED=1: running an image WITHOUT checking its signature; never do this outside development',
    );
    return image;
  }

  private async verified(appId: string, image: string): Promise<string> {
    const verified = await verifyImage({
      imageRef: image,
      trustedKeys: await this.trustedKeys(),
      insecure: this.options.insecureRegistries.has(registryHost(image)),
    });
    this.options.logger.info(
      { app: appId, image, digest: verified.digest, key: verified.signedBy },
      'image signature verified',
    );
    return verified.reference;
  }

  private async trustedKeys(): Promise<string[]> {
    const keys: string[] = [];
    for (const dir of this.options.keyDirs) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue; // a key folder that does not exist holds no keys
      }
      for (const name of names.filter((n) => n.endsWith('.pub')).sort()) {
        keys.push(await readFile(join(dir, name), 'utf8'));
      }
    }
    return keys;
  }
}
