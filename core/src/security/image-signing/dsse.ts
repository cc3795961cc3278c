import type { KeyObject } from 'node:crypto';
import { signPayload, verifyPayloadSignature, type VerificationKey } from './signing-keys.js';

/**
 * DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse v1.0), the envelope cosign
 * attestations are stored in. A signature covers the pre-authentication encoding PAE(type, body),
 * never the payload alone, so a signature made for one payload type can never pass for another
 * (cosign's CVE-2022-35929 was checking the type beside the signature instead).
 */

export interface DsseSignature {
  /** An unauthenticated hint; cosign writes "" for key-pair signatures, and so do we. */
  keyid: string;
  /** Base64 signature over PAE(payloadType, payload). */
  sig: string;
}

/** The envelope as JSON has it: the payload still base64. */
export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: DsseSignature[];
}

/** An envelope read from bytes, its payload decoded once: the bytes a signature is checked over. */
export interface ParsedEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: DsseSignature[];
}

/**
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in bytes as ASCII decimal: the
 * length prefixes make the encoding injective, so no (type, body) pair can be read as another.
 */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

/**
 * The envelope bytes for `payload`, signed with ECDSA P-256 over SHA-256 of its PAE, DER, base64 —
 * what cosign writes with a key pair. Field order as cosign's (Go) encoder writes them.
 */
export function signEnvelope(privateKey: KeyObject, payloadType: string, payload: Buffer): Buffer {
  const envelope: DsseEnvelope = {
    payloadType,
    payload: payload.toString('base64'),
    signatures: [{ keyid: '', sig: signPayload(privateKey, pae(payloadType, payload)) }],
  };
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Strict base64: standard or URL-safe alphabet (DSSE allows either), padded or not. Buffer.from()
 * alone skips junk characters, which would let two different texts decode to the same payload.
 */
function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) && !/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  if (text.length !== unpadded.length && text.length % 4 !== 0) return undefined;
  return Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export type EnvelopeParse = { ok: true; envelope: ParsedEnvelope } | { ok: false; problem: string };

/** Reads an envelope strictly; anything not shaped like DSSE JSON is a problem, said in words. */
export function parseEnvelope(bytes: Uint8Array): EnvelopeParse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, problem: 'the envelope is not JSON' };
  }
  if (!isObject(parsed)) return { ok: false, problem: 'the envelope is not a JSON object' };
  const { payloadType, payload, signatures } = parsed;
  if (typeof payloadType !== 'string' || payloadType === '')
    return { ok: false, problem: 'the envelope has no payloadType' };
  if (typeof payload !== 'string') return { ok: false, problem: 'the envelope has no payload' };
  const decoded = decodeBase64(payload);
  if (!decoded) return { ok: false, problem: 'the envelope payload is not base64' };
  if (!Array.isArray(signatures) || signatures.length === 0)
    return { ok: false, problem: 'the envelope has no signatures' };
  const sigs: DsseSignature[] = [];
  for (const s of signatures) {
    if (!isObject(s) || typeof s.sig !== 'string')
      return { ok: false, problem: 'an envelope signature has no "sig"' };
    sigs.push({ keyid: typeof s.keyid === 'string' ? s.keyid : '', sig: s.sig });
  }
  return { ok: true, envelope: { payloadType, payload: decoded, signatures: sigs } };
}

/** The first trusted key that signed this envelope's PAE, or undefined. keyid hints are ignored. */
export function envelopeSigner(
  envelope: ParsedEnvelope,
  trustedKeys: readonly VerificationKey[],
): VerificationKey | undefined {
  const signed = pae(envelope.payloadType, envelope.payload);
  for (const { sig } of envelope.signatures) {
    const signer = trustedKeys.find((k) => verifyPayloadSignature(k.key, signed, sig));
    if (signer) return signer;
  }
  return undefined;
}
