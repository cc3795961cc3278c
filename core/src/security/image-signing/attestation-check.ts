import type { AttestationRefusalReason } from './attestation-refusal.js';
import type { Digest } from './digest.js';
import { envelopeSigner, parseEnvelope } from './dsse.js';
import { parseStatement, statementCovers, type InTotoStatement } from './in-toto-statement.js';
import { IN_TOTO_PAYLOAD_TYPE } from './media-types.js';
import type { VerificationKey } from './signing-keys.js';

/** One attestation layer's envelope bytes, or why they could not be had. */
export type CandidateEnvelope = Buffer | { error: string };

export interface AttestationExpectation {
  manifestDigest: Digest;
  predicateType: string;
}

export type AttestationVerdict =
  | { accepted: true; keyId: string; statement: InTotoStatement }
  | { accepted: false; reason: AttestationRefusalReason; detail: string };

/**
 * Decides, without I/O, whether any attestation vouches for this predicate about this image: an
 * envelope counts only if a trusted key signed its PAE (checked before anything in it is read),
 * its payload is an in-toto Statement of the wanted predicate type, and a subject names this exact
 * manifest digest. Candidates are tried newest first (cosign appends), so a re-attested image
 * gives its latest predicate. When none counts, the most specific failure among trusted-key
 * envelopes is reported; otherwise "not by a trusted key".
 */
export function evaluateAttestations(
  candidates: readonly CandidateEnvelope[],
  expected: AttestationExpectation,
  trustedKeys: readonly VerificationKey[],
): AttestationVerdict {
  const wanted = expected.predicateType;
  if (candidates.length === 0)
    return { accepted: false, reason: 'no-attestation', detail: `has no ${wanted} attestation` };
  let claimFailure: { reason: AttestationRefusalReason; detail: string } | undefined;
  const problems: string[] = [];
  const otherTypes = new Set<string>();
  for (const candidate of [...candidates].reverse()) {
    if (!Buffer.isBuffer(candidate)) {
      problems.push(candidate.error);
      continue;
    }
    const parsed = parseEnvelope(candidate);
    if (!parsed.ok) {
      // Unsigned as far as we can tell: nothing in it may decide anything.
      problems.push(parsed.problem);
      continue;
    }
    const signer = envelopeSigner(parsed.envelope, trustedKeys);
    if (!signer) continue;
    const by = `an attestation by trusted key ${signer.keyId.slice(0, 16)}`;
    if (parsed.envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
      claimFailure ??= {
        reason: 'attestation-malformed',
        detail: `has ${by} whose payloadType is ${JSON.stringify(parsed.envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`,
      };
      continue;
    }
    const statement = parseStatement(parsed.envelope.payload);
    if (!statement.ok) {
      claimFailure ??= {
        reason: 'attestation-malformed',
        detail: `has ${by} that is malformed (${statement.problem})`,
      };
      continue;
    }
    if (statement.statement.predicateType !== wanted) {
      otherTypes.add(statement.statement.predicateType);
      continue;
    }
    if (!statementCovers(statement.statement, expected.manifestDigest)) {
      const named = statement.statement.subject.map((s) => `sha256:${s.digest.sha256 ?? '?'}`).join(', ');
      claimFailure ??= {
        reason: 'attestation-subject-mismatch',
        detail: `has ${by} about another image: its subject is ${named}, but the image is ${expected.manifestDigest} (subject digest mismatch)`,
      };
      continue;
    }
    return { accepted: true, keyId: signer.keyId, statement: statement.statement };
  }
  if (claimFailure) return { accepted: false, ...claimFailure };
  if (otherTypes.size > 0)
    return {
      accepted: false,
      reason: 'no-attestation',
      detail: `has trusted attestations of ${[...otherTypes].join(', ')}, but none of ${wanted}`,
    };
  const note = problems.length ? `; ${problems.length} could not be read: ${problems[0]}` : '';
  return {
    accepted: false,
    reason: 'attestation-untrusted',
    detail: `has ${wanted} attestations, but none signed by a trusted key (${candidates.length} checked against ${trustedKeys.length} trusted key(s)${note})`,
  };
}
