import { signatureTag, type Digest } from './digest.js';
import {
  formatImageReference,
  manifestReference,
  parseImageReference,
  pinnedReference,
  repositoryName,
} from './image-reference.js';
import { imageRefused } from './refusal.js';
import { registryClientFor, trustedVerificationKeys } from './cosign-tag.js';
import { evaluateSignatures, type CandidateSignature } from './signature-check.js';
import { parseManifestLayers, signatureLayers } from './signature-manifest.js';

export interface VerifyImageOptions {
  /** The image as the catalog/manifest names it: by tag, or already pinned by digest. */
  imageRef: string;
  /** PEM public keys (cosign.pub format) whose signatures we accept. */
  trustedKeys: readonly string[];
  /** The registry is listed in ARCHY_INSECURE_REGISTRIES: talk plain HTTP. */
  insecure: boolean;
  /** Per registry request; default 30 s. */
  timeoutMs?: number;
}

export interface VerifiedImage {
  /** The manifest digest that was verified. */
  digest: Digest;
  /** `registry/repository@sha256:…`: run exactly this, never the tag, or the tag could move in between. */
  reference: string;
  /** keyId of the trusted key whose signature was accepted. */
  signedBy: string;
}

/** A signature manifest with hundreds of layers is an attack on our time, not a set of signers. */
const MAX_SIGNATURES_CHECKED = 50;
/** cosign payloads are a few hundred bytes; annotations make them larger, never megabytes. */
const MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * Verifies an image's cosign key-pair signature against trusted keys. Fails closed: any doubt
 * (no signature, no trusted signer, payload naming another digest or repository, malformed
 * payload, registry trouble) throws an ArchyError; only a positive result lets the caller run
 * the image, and then by the returned digest.
 */
export async function verifyImage(options: VerifyImageOptions): Promise<VerifiedImage> {
  const ref = parseImageReference(options.imageRef);
  const image = formatImageReference(ref);
  const keys = trustedVerificationKeys(options.trustedKeys, image, 'its signature');
  const client = registryClientFor(ref, options);

  const digest = await client.resolveDigest(ref.repository, manifestReference(ref));
  const tag = signatureTag(digest);
  const sigManifest = await client.getManifest(ref.repository, tag);
  if (!sigManifest)
    throw imageRefused(
      image,
      'unsigned',
      `is not signed: there is no signature at ${repositoryName(ref)}:${tag}`,
    );
  const layers = parseManifestLayers(sigManifest.bytes);
  if (!layers)
    throw imageRefused(image, 'malformed', `has a signature tag ${tag} that does not hold an image manifest`);
  const candidates: CandidateSignature[] = [];
  for (const layer of signatureLayers(layers).slice(0, MAX_SIGNATURES_CHECKED)) {
    try {
      const payload = await client.getBlob(ref.repository, layer.payload.digest, {
        maxBytes: MAX_PAYLOAD_BYTES,
      });
      candidates.push({ layer, payload });
    } catch (err) {
      // One signer's broken layer must not hide another signer's good one.
      candidates.push({ layer, payload: { error: (err as Error).message } });
    }
  }
  if (candidates.length === 0)
    throw imageRefused(
      image,
      'unsigned',
      `is not signed: ${repositoryName(ref)}:${tag} holds no cosign signatures`,
    );

  const verdict = evaluateSignatures(
    candidates,
    { manifestDigest: digest, repositoryName: repositoryName(ref) },
    keys,
  );
  if (!verdict.accepted) throw imageRefused(image, verdict.reason, verdict.detail);
  return { digest, reference: pinnedReference(ref, digest), signedBy: verdict.keyId };
}
