import type { Digest } from './digest.js';
import type { ImageRefusalReason } from './refusal.js';
import { parseSimpleSigningPayload, type SimpleSigningClaims } from './simple-signing.js';
import type { SignatureLayer } from './signature-manifest.js';
import { verifyPayloadSignature, type VerificationKey } from './signing-keys.js';

/** A signature layer with its payload bytes, or why they could not be had. */
export interface CandidateSignature {
  layer: SignatureLayer;
  payload: Buffer | { error: string };
}

/** What a signature must say to count for this image. */
export interface SignatureExpectation {
  manifestDigest: Digest;
  /** `registry/repository` the image is pulled from. */
  repositoryName: string;
}

export type SignatureVerdict =
  | { accepted: true; keyId: string; claims: SimpleSigningClaims }
  | { accepted: false; reason: ImageRefusalReason; detail: string };

/**
 * Decides, without I/O, whether any signature vouches for this image: a layer counts only if a
 * trusted key verifies its signature over the payload bytes AND the payload names this exact
 * digest and repository. Signatures are checked before the payload is even parsed, so an
 * untrusted payload never influences the decision. One good signature is enough; when none is,
 * the most specific failure among trusted-key signatures is reported (that is the one a
 * publisher can act on), otherwise "not by a trusted key".
 */
export function evaluateSignatures(
  candidates: readonly CandidateSignature[],
  expected: SignatureExpectation,
  trustedKeys: readonly VerificationKey[],
): SignatureVerdict {
  if (candidates.length === 0)
    return {
      accepted: false,
      reason: 'unsigned',
      detail: 'the signature manifest holds no cosign signatures',
    };
  let claimFailure: { reason: ImageRefusalReason; detail: string } | undefined;
  const unreadable: string[] = [];
  for (const { layer, payload } of candidates) {
    if (!Buffer.isBuffer(payload)) {
      unreadable.push(payload.error);
      continue;
    }
    if (layer.signature === undefined) continue;
    const signer = trustedKeys.find((k) => verifyPayloadSignature(k.key, payload, layer.signature!));
    if (!signer) continue;
    const problem = claimProblem(payload, expected, signer.keyId);
    if ('claims' in problem) return { accepted: true, keyId: signer.keyId, claims: problem.claims };
    claimFailure ??= problem;
  }
  if (claimFailure) return { accepted: false, ...claimFailure };
  const note = unreadable.length
    ? `; ${unreadable.length} payload(s) could not be read: ${unreadable[0]}`
    : '';
  return {
    accepted: false,
    reason: 'untrusted',
    detail: `is signed, but not by a trusted key (${candidates.length} signature(s) checked against ${trustedKeys.length} trusted key(s)${note})`,
  };
}

function claimProblem(
  payload: Buffer,
  expected: SignatureExpectation,
  keyId: string,
): { claims: SimpleSigningClaims } | { reason: ImageRefusalReason; detail: string } {
  const parsed = parseSimpleSigningPayload(payload);
  const by = `a signature by trusted key ${keyId.slice(0, 16)}`;
  if (!parsed.ok)
    return { reason: 'malformed', detail: `has ${by} whose payload is malformed (${parsed.problem})` };
  const { claims } = parsed;
  if (claims.manifestDigest !== expected.manifestDigest)
    return {
      reason: 'digest-mismatch',
      detail: `has ${by} for a different image: it signs ${claims.manifestDigest}, but the image is ${expected.manifestDigest} (digest mismatch)`,
    };
  // cosign itself ignores docker-reference so images can be copied between registries; we are
  // stricter because our catalog names exact repositories, and a mirror can be re-signed.
  if (claims.dockerReference !== expected.repositoryName)
    return {
      reason: 'identity-mismatch',
      detail: `has ${by} made for ${claims.dockerReference}, not ${expected.repositoryName}`,
    };
  return { claims };
}
