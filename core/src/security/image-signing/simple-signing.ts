import { isDigest, type Digest } from './digest.js';
import { COSIGN_SIGNATURE_TYPE } from './media-types.js';

/**
 * The simple-signing payload cosign signs: which image (by manifest digest) under which name.
 * Because cosign signatures are detached, this payload is the only thing tying a signature to
 * an image, so every field is checked before a signature counts.
 */
export interface SimpleSigningClaims {
  /** `registry/repository` the signer named. */
  dockerReference: string;
  /** The digest of the signed image's manifest. */
  manifestDigest: Digest;
  /** cosign's `-a key=value` annotations, if any; shown, never trusted for decisions. */
  optional: Record<string, unknown> | null;
}

/**
 * The payload bytes, in the exact form cosign produces (Go's encoding/json of its struct: this
 * key order, no whitespace, `"optional":null` without annotations). The bytes are what gets
 * signed, so matching them keeps our signatures indistinguishable from cosign's.
 */
export function buildSimpleSigningPayload(dockerReference: string, manifestDigest: Digest): Buffer {
  const payload = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': manifestDigest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: null,
  };
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

export type ParsedPayload = { ok: true; claims: SimpleSigningClaims } | { ok: false; problem: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads a payload strictly: anything not shaped exactly like a cosign image signature is malformed. */
export function parseSimpleSigningPayload(bytes: Uint8Array): ParsedPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, problem: 'the payload is not JSON' };
  }
  if (!isObject(parsed) || !isObject(parsed.critical))
    return { ok: false, problem: 'the payload has no "critical" object' };
  const { critical } = parsed;
  if (critical.type !== COSIGN_SIGNATURE_TYPE)
    return {
      ok: false,
      problem: `"critical.type" is ${JSON.stringify(critical.type)}, not "${COSIGN_SIGNATURE_TYPE}"`,
    };
  const identity = isObject(critical.identity) ? critical.identity['docker-reference'] : undefined;
  if (typeof identity !== 'string' || identity === '')
    return { ok: false, problem: '"critical.identity.docker-reference" is missing' };
  const digest = isObject(critical.image) ? critical.image['docker-manifest-digest'] : undefined;
  if (!isDigest(digest))
    return { ok: false, problem: '"critical.image.docker-manifest-digest" is not a sha256 digest' };
  const optional = parsed.optional ?? null;
  if (optional !== null && !isObject(optional))
    return { ok: false, problem: '"optional" is neither an object nor null' };
  return { ok: true, claims: { dockerReference: identity, manifestDigest: digest, optional } };
}
