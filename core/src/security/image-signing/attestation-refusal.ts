import {
  ArchyError,
  RpcErrorCode,
  type AttestationRefusalData,
  type AttestationRefusalReason,
} from '../../kernel/index.js';

// The reason and data types are the kernel's (error data is typed per code there).
export type { AttestationRefusalData, AttestationRefusalReason };

const NEXT_STEP: Record<AttestationRefusalReason, string> = {
  'no-attestation':
    'attach one where the image is published (the pipeline attaches the SBOM when it pushes, or: cosign attest --type cyclonedx --key cosign.key)',
  'attestation-untrusted':
    "do not rely on it: either the signer's key is not among the trusted keys, or the attestation was tampered with",
  'attestation-subject-mismatch':
    'do not rely on it: the attestation was made for another image and copied here; attest this image again',
  'attestation-malformed': 'ask the publisher to attest the image again with archy or cosign',
};

/** An ArchyError for a refused attestation: what was wrong, then what to do next. */
export function attestationRefused(
  image: string,
  predicateType: string,
  reason: AttestationRefusalReason,
  what: string,
): ArchyError {
  const data: AttestationRefusalData = { reason, image, predicateType };
  return new ArchyError(RpcErrorCode.ImageUnavailable, `image ${image} ${what}; ${NEXT_STEP[reason]}.`, {
    data,
  });
}

/** The refusal reason of an error from verifyAttestation, or undefined for any other error. */
export function attestationRefusalReason(err: unknown): AttestationRefusalReason | undefined {
  if (!(err instanceof ArchyError)) return undefined;
  const data = err.data as Partial<AttestationRefusalData> | undefined;
  return typeof data?.reason === 'string' && data.reason in NEXT_STEP ? data.reason : undefined;
}
