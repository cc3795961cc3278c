import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The on-disk form of one secret: a small JSON object, versioned so the format can change
 * without guessing. `app` and `name` are there for people reading the file; what protects them
 * is the AAD, which is rebuilt from where the file is *read* — a file copied to another app or
 * name fails authentication instead of handing one app's secret to another.
 */
export interface SecretEnvelope {
  format: typeof FORMAT;
  v: 1;
  alg: 'A256GCM';
  app: string;
  name: string;
  /** base64, 12 random bytes, fresh for every write. */
  nonce: string;
  /** base64 ciphertext of the UTF-8 value. */
  ct: string;
  /** base64, the 16-byte GCM tag. */
  tag: string;
}

const FORMAT = 'archipelago-secret';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Binds format, version, algorithm, app and name into the tag; NUL cannot occur in any of them. */
const aadFor = (appId: string, name: string): Buffer =>
  Buffer.from([FORMAT, 'v1', 'A256GCM', appId, name].join('\0'), 'utf8');

export function sealSecret(key: Buffer, appId: string, name: string, value: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aadFor(appId, name));
  const ct = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  const envelope: SecretEnvelope = {
    format: FORMAT,
    v: 1,
    alg: 'A256GCM',
    app: appId,
    name,
    nonce: nonce.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
  return `${JSON.stringify(envelope)}\n`;
}

/** Why a sealed secret could not be opened, without echoing any of its content. */
export type OpenFailure = 'malformed' | 'unsupported-version' | 'authentication-failed';

export function openSecret(
  key: Buffer,
  appId: string,
  name: string,
  text: string,
): { ok: true; value: string } | { ok: false; reason: OpenFailure } {
  const envelope = parseEnvelope(text);
  if (!envelope) return { ok: false, reason: 'malformed' };
  if (envelope.v !== 1 || envelope.alg !== 'A256GCM') return { ok: false, reason: 'unsupported-version' };
  const nonce = Buffer.from(envelope.nonce, 'base64');
  const tag = Buffer.from(envelope.tag, 'base64');
  if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) return { ok: false, reason: 'malformed' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadFor(appId, name));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]);
    return { ok: true, value: plain.toString('utf8') };
  } catch {
    // node says "Unsupported state or unable to authenticate data"; the caller words it for users.
    return { ok: false, reason: 'authentication-failed' };
  }
}

function parseEnvelope(text: string): SecretEnvelope | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // JSON.parse quotes the offending text in its message: drop it.
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as Record<string, unknown>;
  const strings = ['alg', 'nonce', 'ct', 'tag'].every((k) => typeof e[k] === 'string');
  if (e.format !== FORMAT || typeof e.v !== 'number' || !strings) return undefined;
  return e as unknown as SecretEnvelope;
}
