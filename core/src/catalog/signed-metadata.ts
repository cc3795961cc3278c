// The shapes of signed catalog metadata, TUF-style: an envelope `{ signed, signatures }` whose
// signatures cover the canonical JSON of `signed`; Ed25519 keys named by the hash of their public
// form; and the root, which lists the keys and how many of them each role needs.

import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalBytes, canonicalJson } from './canonical-json.js';
import { catalogRefused } from './catalog-error.js';

export const SPEC_VERSION = 1;
export const ROLES = ['root', 'catalog'] as const;
export type RoleName = (typeof ROLES)[number];

/** A public key as the root lists it (TUF's ed25519 key form: 32 raw bytes, hex). */
export interface PublicKeyJson {
  keytype: 'ed25519';
  scheme: 'ed25519';
  keyval: { public: string };
}

export interface SignatureJson {
  keyid: string;
  /** Hex Ed25519 signature over the canonical JSON of `signed`. */
  sig: string;
}

export interface Envelope<T> {
  signed: T;
  signatures: SignatureJson[];
}

export interface RoleJson {
  keyids: string[];
  threshold: number;
}

export interface RootSigned {
  _type: 'root';
  specVersion: number;
  version: number;
  /** ISO 8601 UTC. */
  expires: string;
  keys: Record<string, PublicKeyJson>;
  roles: Record<RoleName, RoleJson>;
}

/** The catalog metadata as signed; `apps` is read by catalog-schema, forgivingly. */
export interface CatalogSigned {
  _type: 'catalog';
  specVersion: number;
  version: number;
  expires: string;
  apps: Record<string, unknown>;
  [unknownField: string]: unknown;
}

export interface SigningKey {
  keyId: string;
  publicKey: PublicKeyJson;
  privateKey: KeyObject;
}

// ---------------------------------------------------------------------------------------------
// Keys

// DER SubjectPublicKeyInfo prefix of an Ed25519 key; the 32 raw key bytes follow it.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** TUF's key id: the SHA-256 of the key's canonical JSON, so anyone can recompute it. */
export const keyIdOf = (key: PublicKeyJson): string =>
  createHash('sha256').update(canonicalJson(key)).digest('hex');

export function publicKeyJsonOf(publicKey: KeyObject): PublicKeyJson {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keytype: 'ed25519',
    scheme: 'ed25519',
    keyval: { public: der.subarray(ED25519_SPKI_PREFIX.length).toString('hex') },
  };
}

export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const json = publicKeyJsonOf(publicKey);
  return { keyId: keyIdOf(json), publicKey: json, privateKey };
}

function publicKeyObject(key: PublicKeyJson): KeyObject {
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(key.keyval.public, 'hex')]),
    format: 'der',
    type: 'spki',
  });
}

// ---------------------------------------------------------------------------------------------
// Signing and counting signatures

/** Signs `signed` with each key; the envelope the publisher writes. */
export function signEnvelope<T>(signed: T, keys: readonly SigningKey[]): Envelope<T> {
  const bytes = canonicalBytes(signed);
  return {
    signed,
    signatures: keys.map((key) => ({
      keyid: key.keyId,
      sig: sign(null, bytes, key.privateKey).toString('hex'),
    })),
  };
}

/**
 * The distinct keys of `role` that validly signed `envelope`. A key is counted once however many
 * times its signature appears, and a signature by a key outside the role counts for nothing.
 */
export function validSigners(
  envelope: Envelope<unknown>,
  role: RoleJson,
  keys: Record<string, PublicKeyJson>,
): Set<string> {
  const bytes = canonicalBytes(envelope.signed);
  const signers = new Set<string>();
  for (const signature of envelope.signatures) {
    if (signers.has(signature.keyid) || !role.keyids.includes(signature.keyid)) continue;
    const key = keys[signature.keyid];
    if (key && verifiesWith(key, bytes, signature.sig)) signers.add(signature.keyid);
  }
  return signers;
}

function verifiesWith(key: PublicKeyJson, bytes: Buffer, sigHex: string): boolean {
  if (!/^[0-9a-f]{128}$/.test(sigHex)) return false;
  try {
    return verify(null, bytes, publicKeyObject(key), Buffer.from(sigHex, 'hex'));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing (unknown fields are ignored, as TUF clients do, so metadata can grow)

const hex = (length: number) => z.string().regex(new RegExp(`^[0-9a-f]{${length}}$`));
const isoDate = z.string().refine((text) => !Number.isNaN(Date.parse(text)) && /Z$/.test(text), {
  error: 'expected an ISO 8601 UTC time such as "2027-01-01T00:00:00Z"',
});
const signatureSchema = z.object({ keyid: hex(64), sig: z.string() });
const envelopeSchema = z.object({
  signed: z.record(z.string(), z.unknown()),
  signatures: z.array(signatureSchema),
});
const publicKeySchema = z.object({
  keytype: z.literal('ed25519'),
  scheme: z.literal('ed25519'),
  keyval: z.object({ public: hex(64) }),
});
const roleSchema = z.object({ keyids: z.array(hex(64)).min(1), threshold: z.number().int().min(1) });
const rootSignedSchema = z.object({
  _type: z.literal('root'),
  specVersion: z.literal(SPEC_VERSION),
  version: z.number().int().min(1),
  expires: isoDate,
  keys: z.record(hex(64), publicKeySchema),
  roles: z.object({ root: roleSchema, catalog: roleSchema }),
});
const catalogSignedSchema = z.object({
  _type: z.literal('catalog'),
  specVersion: z.literal(SPEC_VERSION),
  version: z.number().int().min(1),
  expires: isoDate,
  apps: z.record(z.string(), z.unknown()),
});

const firstIssue = (error: z.ZodError): string => {
  const issue = error.issues[0]!;
  return `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
};

function parseEnvelope(json: unknown, what: string): Envelope<Record<string, unknown>> {
  const result = envelopeSchema.safeParse(json);
  if (!result.success) {
    throw catalogRefused(
      'malformed',
      `${what} is not signed metadata ({ signed, signatures }): ${firstIssue(result.error)}`,
    );
  }
  return result.data;
}

/**
 * Reads a root envelope and checks it is coherent: every key's id is the hash of the key (so one
 * key can't be listed, and counted, twice), and every role's threshold can be met.
 */
export function parseRoot(json: unknown, what = 'root metadata'): Envelope<RootSigned> {
  const envelope = parseEnvelope(json, what);
  const result = rootSignedSchema.safeParse(envelope.signed);
  if (!result.success)
    throw catalogRefused('malformed', `${what} is not a valid root: ${firstIssue(result.error)}`);
  const root = result.data;
  for (const [keyId, key] of Object.entries(root.keys)) {
    if (keyIdOf(key) !== keyId) {
      throw catalogRefused(
        'malformed',
        `${what} lists key ${keyId.slice(0, 12)}… under an id that is not its hash`,
      );
    }
  }
  for (const name of ROLES) {
    const role = root.roles[name];
    const known = new Set(role.keyids.filter((id) => root.keys[id]));
    if (known.size < role.threshold) {
      throw catalogRefused(
        'malformed',
        `${what} gives the ${name} role a threshold of ${role.threshold} but only ${known.size} distinct known keys`,
      );
    }
  }
  // The signed object as received: any fields we don't know are part of what was signed.
  return { signed: envelope.signed as unknown as RootSigned, signatures: envelope.signatures };
}

export function parseCatalogEnvelope(json: unknown, what = 'catalog metadata'): Envelope<CatalogSigned> {
  const envelope = parseEnvelope(json, what);
  const result = catalogSignedSchema.safeParse(envelope.signed);
  if (!result.success)
    throw catalogRefused('malformed', `${what} is not a valid catalog: ${firstIssue(result.error)}`);
  // Keep the signed object as received: its unknown fields are part of what was signed.
  return { signed: envelope.signed as CatalogSigned, signatures: envelope.signatures };
}
