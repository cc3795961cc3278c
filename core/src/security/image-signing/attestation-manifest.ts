import { digestHex, sha256Digest, type Digest } from './digest.js';
import { DSSE_ENVELOPE_LAYER, PREDICATE_TYPE_ANNOTATION, SIGNATURE_ANNOTATION } from './media-types.js';
import type { Descriptor } from './signature-manifest.js';

/**
 * cosign's attestation layout: the attestations of `sha256:<hex>` live beside its signatures, in
 * an OCI manifest under the tag `sha256-<hex>.att`, one layer per attestation, each layer's blob a
 * DSSE envelope. The manifest and config have the same shape as a signature manifest's, so
 * signature-manifest.ts builds both.
 */
/** An envelope the size of a large SBOM (base64 makes it 4/3); beyond this it is not one we want to hold. */
export const MAX_ENVELOPE_BYTES = 32 * 1024 * 1024;

export const attestationTag = (digest: Digest): string => `sha256-${digestHex(digest)}.att`;

/**
 * The layer for one envelope, annotated as `cosign attest` does: the predicate type, and an empty
 * signature annotation (cosign's attestation layers carry the key with no value, because the
 * signature is inside the envelope).
 */
export const attestationLayerDescriptor = (envelope: Buffer, predicateType: string): Descriptor => ({
  mediaType: DSSE_ENVELOPE_LAYER,
  size: envelope.length,
  digest: sha256Digest(envelope),
  annotations: { [SIGNATURE_ANNOTATION]: '', [PREDICATE_TYPE_ANNOTATION]: predicateType },
});

/**
 * The DSSE layers that may hold an attestation of `predicateType`: layers annotated with another
 * type are skipped (the annotation is unsigned, so it can only make us look at fewer layers —
 * hiding one yields a refusal, never a false acceptance), unannotated ones are kept.
 */
export const attestationLayers = (layers: readonly Descriptor[], predicateType: string): Descriptor[] =>
  layers.filter(
    (l) =>
      l.mediaType === DSSE_ENVELOPE_LAYER &&
      (l.annotations?.[PREDICATE_TYPE_ANNOTATION] ?? predicateType) === predicateType,
  );
