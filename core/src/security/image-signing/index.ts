// Public surface of cosign-compatible image signing and verification: import from here.
export { verifyImage, type VerifyImageOptions, type VerifiedImage } from './verify-image.js';
export { signImage, type SignImageOptions, type SignImageResult } from './sign-image.js';
export { attestImage, type AttestImageOptions, type AttestImageResult } from './attest-image.js';
export {
  verifyAttestation,
  type VerifyAttestationOptions,
  type VerifiedAttestation,
} from './verify-attestation.js';
export {
  attestationRefusalReason,
  type AttestationRefusalReason,
  type AttestationRefusalData,
} from './attestation-refusal.js';
export { attestationTag } from './attestation-manifest.js';
export { CYCLONEDX_PREDICATE_TYPE } from './media-types.js';
export {
  generateSigningKeyPair,
  readSigningKeyFile,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  type GeneratedKeyPair,
} from './signing-key-files.js';
export { formatKeyPairGenerated, formatImageSigned, formatImageVerified } from './format.js';
export {
  imageRefused,
  imageRefusalReason,
  type ImageRefusalReason,
  type ImageRefusalData,
} from './refusal.js';
export {
  createSigningKeyPair,
  loadVerificationKey,
  keyIdOf,
  type SigningKeyPair,
  type VerificationKey,
} from './signing-keys.js';
export { RegistryClient, type RegistryClientOptions, type FetchedManifest } from './registry-client.js';
export {
  parseImageReference,
  formatImageReference,
  repositoryName,
  pinnedReference,
  type ImageReference,
} from './image-reference.js';
export { sha256Digest, signatureTag, isDigest, type Digest } from './digest.js';
