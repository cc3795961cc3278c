import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  imageRefused,
  imageRefusalReason,
  loadVerificationKey,
  parseImageReference,
  pinnedReference,
  RegistryClient,
  verifyImage,
  type Digest,
} from '../security/image-signing/index.js';
import { keyMayVouchFor, NO_IMAGE_KEY_PINS, whyKeyMayNotVouch, type ImageKeyPins } from '../catalog/index.js';
import { ArchyError } from '../kernel/index.js';
import { catalogPinnedReference, registryReferenceOf } from './catalog-digest.js';
import { registryOf as registryHost, splitImageReference } from '../util/image-reference.js';
import { readKeyFile } from '../util/read-key-file.js';

/** A cosign public key (PEM, ECDSA P-256) is ~180 bytes; anything near this is not one. */
const MAX_IMAGE_KEY_BYTES = 64 * 1024;

export interface ImageTrustOptions {
  /** Folders of trusted cosign public keys (*.pub): the bundled ones and the node's own. */
  keyDirs: readonly string[];
  insecureRegistries: ReadonlySet<string>;
  /**
   * ARCHY_UNSIGNED_REGISTRIES: registries whose images may run without a signature (development
   * only, every use logged loudly); empty in normal operation. See unsigned-registries.ts.
   */
  unsignedRegistries: ReadonlySet<string>;
  logger: Logger;
  /** The signed catalog's image key pins, read at each verification (the catalog may refresh). */
  keyPins?: () => ImageKeyPins;
  /**
   * The images an app's bundled manifest (shipped with this software, apps/<id>/) pins by digest,
   * every service's: upstream images that carry no signature of ours (LND, Mempool …) run when
   * they are exactly that content. See pinnedByBundledManifest.
   */
  bundledPins?: (appId: string) => Promise<readonly string[]>;
  /**
   * The digest-pinned images the user confirmed when installing an imported app (its record's
   * `imported.images`); empty for any other app. See pinnedByImportConfirmation.
   */
  importedPins?: (appId: string) => readonly string[];
}

/**
 * Decides which reference an app's container runs: the image's digest, once its cosign
 * signature verified against a trusted key the signed catalog lets vouch for that app — so what runs is exactly what was signed, even if
 * the tag moves later. Fails closed: unsigned, untrusted, tampered or moved images are refused.
 */
export class ImageTrust {
  constructor(private readonly options: ImageTrustOptions) {}

  /**
   * The reference to pull and run. Throws an ArchyError saying why an image is refused. With
   * `catalogDigest` (the signed catalog pins the version's image), exactly that digest runs, and a
   * tag that no longer points at it is refused — also from a registry in ARCHY_UNSIGNED_REGISTRIES,
   * since the pin comes from the signed catalog, not from the image.
   */
  async runnableReference(appId: string, image: string, catalogDigest?: string): Promise<string> {
    if (catalogDigest === undefined && (await this.pinnedByBundledManifest(appId, image))) {
      return this.digestPin(
        appId,
        image,
        'info',
        'image pinned by digest in the bundled manifest: running exactly that content',
      );
    }
    if (catalogDigest === undefined && this.pinnedByImportConfirmation(appId, image)) {
      return this.digestPin(
        appId,
        image,
        'warn',
        'imported app: running the digest-pinned image the user confirmed at install, not signed by the catalog',
      );
    }
    if (catalogDigest !== undefined) {
      const pinned = await this.pinnedByCatalog(appId, image, catalogDigest);
      // The signature is checked on the pinned digest itself: what runs is what was signed.
      return this.mayRunUnsigned(pinned) ? this.unsigned(appId, pinned) : this.verified(appId, pinned);
    }
    return this.mayRunUnsigned(image) ? this.unsigned(appId, image) : this.verified(appId, image);
  }

  /**
   * Whether the app's bundled manifest names this very reference with a digest. A digest names
   * content, not a place: Podman refuses a pull whose content does not hash to it. The bundled
   * manifests ship with the daemon (the same trust as its code), so an upstream image pinned there
   * is the content whoever reviewed the manifest chose, wherever the registry's tags point later.
   * A manifest a user brings gets no such trust: its images need a signature, as before.
   */
  private async pinnedByBundledManifest(appId: string, image: string): Promise<boolean> {
    if (splitImageReference(image).digest === undefined || !this.options.bundledPins) return false;
    return (await this.options.bundledPins(appId)).includes(image);
  }

  /**
   * Whether the user confirmed this very digest reference when installing the imported app (the
   * install showed what the app gets and was refused without that "yes"). The confirmation is
   * the record's, per app: another app naming the same reference gets nothing from it, and a
   * reference without a digest never qualifies (it names a place, not content).
   */
  private pinnedByImportConfirmation(appId: string, image: string): boolean {
    if (splitImageReference(image).digest === undefined || !this.options.importedPins) return false;
    return this.options.importedPins(appId).includes(image);
  }

  /** Runs a digest-pinned reference without a signature (a bundled or confirmed pin), saying why. */
  private digestPin(appId: string, image: string, level: 'info' | 'warn', why: string): string {
    const digest = splitImageReference(image).digest as Digest;
    this.options.logger[level]({ app: appId, image, digest }, why);
    return pinnedReference(parseImageReference(image), digest);
  }

  private mayRunUnsigned(image: string): boolean {
    return this.options.unsignedRegistries.has(registryHost(image));
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
      `ARCHY_UNSIGNED_REGISTRIES lists ${registryHost(image)}: running an image WITHOUT checking its signature; never do this outside development`,
    );
    return image;
  }

  private async verified(appId: string, image: string): Promise<string> {
    const pins = this.options.keyPins?.() ?? NO_IMAGE_KEY_PINS;
    const trusted = (await this.trustedKeys()).map((pem, index) => ({
      pem,
      keyId: loadVerificationKey(pem, `trusted image key #${index + 1}`).keyId,
    }));
    // Only the keys the catalog lets vouch for this app; a key pinned to other apps is left out.
    const vouching = trusted.filter((key) => keyMayVouchFor(appId, key.keyId, pins));
    const insecure = this.options.insecureRegistries.has(registryHost(image));
    let verified;
    try {
      verified = await verifyImage({ imageRef: image, trustedKeys: vouching.map((k) => k.pem), insecure });
    } catch (error) {
      const explained = await this.explainPinRefusal(appId, image, error, {
        excluded: trusted.filter((key) => !vouching.includes(key)),
        pins,
        insecure,
      });
      const own = pins.forApp(appId);
      if (explained === error && own && vouching.length === 0) {
        throw imageRefused(
          image,
          'untrusted',
          `cannot be checked: the signed catalog pins '${appId}' to image key${own.length === 1 ? '' : 's'} ` +
            `${own.map((id) => `${id.slice(0, 12)}…`).join(', ')}, and this node trusts none of them ` +
            '(catalog/image-keys, DATA_DIR/trust/image-keys)',
        );
      }
      throw explained;
    }
    this.options.logger.info(
      { app: appId, image, digest: verified.digest, key: verified.signedBy },
      'image signature verified',
    );
    return verified.reference;
  }

  /**
   * When no vouching key signed the image but a trusted key the pins left out did, the refusal
   * says so (which key, which apps it is pinned to) rather than "not by a trusted key".
   */
  private async explainPinRefusal(
    appId: string,
    image: string,
    error: unknown,
    context: { excluded: Array<{ pem: string }>; pins: ImageKeyPins; insecure: boolean },
  ): Promise<unknown> {
    const reason = imageRefusalReason(error);
    const noKeys = reason === undefined && error instanceof ArchyError; // no key may vouch at all
    if (context.excluded.length === 0 || !(reason === 'untrusted' || noKeys)) return error;
    try {
      const other = await verifyImage({
        imageRef: image,
        trustedKeys: context.excluded.map((k) => k.pem),
        insecure: context.insecure,
      });
      return imageRefused(image, 'key-not-pinned', whyKeyMayNotVouch(appId, other.signedBy, context.pins));
    } catch {
      return error;
    }
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
        // A link or an oversized file in a key folder is refused, naming it: never trusted blindly.
        const key = await readKeyFile(join(dir, name), { maxBytes: MAX_IMAGE_KEY_BYTES, what: 'image key' });
        keys.push(key.bytes.toString('utf8'));
      }
    }
    return keys;
  }
}
