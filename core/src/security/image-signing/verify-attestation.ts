import { evaluateAttestations, type CandidateEnvelope } from './attestation-check.js';
import { attestationLayers, attestationTag, MAX_ENVELOPE_BYTES } from './attestation-manifest.js';
import { attestationRefused } from './attestation-refusal.js';
import type { Digest } from './digest.js';
import {
  formatImageReference,
  manifestReference,
  parseImageReference,
  pinnedReference,
  repositoryName,
} from './image-reference.js';
import type { StatementSubject } from './in-toto-statement.js';
import { registryClientFor, trustedVerificationKeys } from './cosign-tag.js';
import { parseManifestLayers } from './signature-manifest.js';

export interface VerifyAttestationOptions {
  /** The image, by tag or digest. */
  imageRef: string;
  /** PEM public keys (cosign.pub format) whose attestations we accept. */
  trustedKeys: readonly string[];
  /** The predicate type wanted, e.g. CYCLONEDX_PREDICATE_TYPE. */
  predicateType: string;
  /** The registry is listed in ARCHY_INSECURE_REGISTRIES: talk plain HTTP. */
  insecure: boolean;
  timeoutMs?: number;
}

export interface VerifiedAttestation {
  /** The image's manifest digest, which the statement's subject names. */
  digest: Digest;
  /** `registry/repository@sha256:…`. */
  reference: string;
  /** keyId of the trusted key whose DSSE signature was accepted. */
  signedBy: string;
  predicateType: string;
  /** The statement's subjects, as signed. */
  subject: StatementSubject[];
  /** The verified predicate, e.g. the CycloneDX SBOM object. */
  predicate: Record<string, unknown>;
}

/** Attestation manifests with hundreds of layers are an attack on our time, not a set of attestations. */
const MAX_ATTESTATIONS_CHECKED = 50;

/**
 * The predicate of an image's attestation of `predicateType`, verified: a trusted key's DSSE
 * signature over the envelope, an in-toto Statement of that type, and a subject naming the digest
 * the image reference resolves to now. Fails closed with a refusal (attestation-refusal.ts) for
 * anything else.
 */
export async function verifyAttestation(options: VerifyAttestationOptions): Promise<VerifiedAttestation> {
  const ref = parseImageReference(options.imageRef);
  const image = formatImageReference(ref);
  const refused = attestationRefused.bind(undefined, image, options.predicateType);
  const keys = trustedVerificationKeys(options.trustedKeys, image, 'its attestations');
  const client = registryClientFor(ref, options);

  const digest = await client.resolveDigest(ref.repository, manifestReference(ref));
  const tag = attestationTag(digest);
  const manifest = await client.getManifest(ref.repository, tag);
  if (!manifest)
    throw refused('no-attestation', `has no attestations: there is nothing at ${repositoryName(ref)}:${tag}`);
  const layers = parseManifestLayers(manifest.bytes);
  if (!layers)
    throw refused(
      'attestation-malformed',
      `has an attestation tag ${tag} that does not hold an image manifest`,
    );
  // The newest layers (cosign appends) are the ones worth the time when there are too many.
  const candidates: CandidateEnvelope[] = [];
  for (const layer of attestationLayers(layers, options.predicateType).slice(-MAX_ATTESTATIONS_CHECKED)) {
    try {
      candidates.push(await client.getBlob(ref.repository, layer.digest, { maxBytes: MAX_ENVELOPE_BYTES }));
    } catch (err) {
      // One broken layer must not hide another signer's good one.
      candidates.push({ error: (err as Error).message });
    }
  }
  const verdict = evaluateAttestations(
    candidates,
    { manifestDigest: digest, predicateType: options.predicateType },
    keys,
  );
  if (!verdict.accepted) throw refused(verdict.reason, verdict.detail);
  return {
    digest,
    reference: pinnedReference(ref, digest),
    signedBy: verdict.keyId,
    predicateType: verdict.statement.predicateType,
    subject: verdict.statement.subject,
    predicate: verdict.statement.predicate,
  };
}
