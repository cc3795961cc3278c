// The digest a signed catalog pins for a version (filled in by the image pipeline when it
// publishes the image) is the only content that version may run. A tag is a name the registry can
// point anywhere; the catalog's digest is covered by the catalog's signatures. When the registry's
// tag no longer points at the pinned digest, someone moved it — a re-release the catalog does not
// know about yet, or tampering — and the daemon refuses rather than guess which one.

import { RpcErrorCode } from '../kernel/index.js';
import { parseImageReference, pinnedReference, type Digest } from '../security/image-signing/index.js';
import { ArchyError } from '../kernel/index.js';

export interface CatalogDigestCheck {
  appId: string;
  /** The image as the catalog names it, by tag: `127.0.0.1:5000/archipelago/bitcoin-core:31.0`. */
  image: string;
  /** The digest the signed catalog pins for it. */
  pinned: string;
  /** What the registry's tag points at now. */
  registryDigest: string;
}

/** `registry/repository@<pinned>`: the reference to verify and run. Throws when the tag moved. */
export function catalogPinnedReference(check: CatalogDigestCheck): string {
  const { appId, image, pinned, registryDigest } = check;
  if (registryDigest !== pinned) {
    throw new ArchyError(
      RpcErrorCode.ImageUnavailable,
      `refusing ${image} for ${appId}: the signed catalog pins it to ${pinned}, but the registry's tag now ` +
        `points at ${registryDigest} — the tag was moved. Nothing was changed. If the publisher re-released ` +
        `this version, wait for a catalog that pins the new digest ('archy catalog' shows the last refresh); ` +
        'otherwise report it to the publisher: the registry may have been tampered with',
      { data: { reason: 'digest-mismatch', image, pinned, registryDigest } },
    );
  }
  return pinnedReference(parseImageReference(image), pinned as Digest);
}

/** What to ask the registry for (the registry normalised: Docker Hub is `docker.io`) to learn where the catalog's image points: its tag (or digest). */
export function registryReferenceOf(image: string): {
  registry: string;
  repository: string;
  reference: string;
} {
  const ref = parseImageReference(image);
  return { registry: ref.registry, repository: ref.repository, reference: ref.digest ?? ref.tag ?? 'latest' };
}
