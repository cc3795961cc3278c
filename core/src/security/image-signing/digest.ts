import { createHash } from 'node:crypto';

/** An OCI content digest; we only produce and accept sha256 (what cosign and the registry use). */
export type Digest = `sha256:${string}`;

const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

export const isDigest = (value: unknown): value is Digest =>
  typeof value === 'string' && DIGEST_PATTERN.test(value);

/** The digest of exactly these bytes: a manifest's digest is over its bytes as served, never re-serialised. */
export const sha256Digest = (bytes: Uint8Array): Digest =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The hex part of a digest. */
export const digestHex = (digest: Digest): string => digest.slice('sha256:'.length);

/**
 * cosign's tag-based discovery: the signatures of `sha256:<hex>` live in the same repository
 * under the tag `sha256-<hex>.sig` (a tag cannot contain ':').
 */
export const signatureTag = (digest: Digest): string => `sha256-${digestHex(digest)}.sig`;
