import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { ArchyError, RpcErrorCode } from '../../kernel/index.js';

/**
 * ECDSA P-256 keys and signatures in the shapes cosign uses: public keys as PEM
 * SubjectPublicKeyInfo (cosign.pub), signatures as base64 ASN.1 DER over SHA-256 of the payload.
 *
 * Private keys are PKCS#8 PEM, unencrypted, protected by file mode 0600. cosign's own
 * cosign.key is a different, password-encrypted format ("ENCRYPTED SIGSTORE PRIVATE KEY",
 * scrypt + secretbox); we do not need it, because interoperability only matters where
 * signatures are verified: cosign verifies ours with cosign.pub, and we verify cosign's with
 * the same kind of public key.
 */

export interface SigningKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

/** A trusted public key, parsed once. */
export interface VerificationKey {
  keyId: string;
  key: KeyObject;
}

const P256 = 'prime256v1';
/** A raw (IEEE P1363) P-256 signature is r‖s, 32 bytes each. */
const RAW_SIGNATURE_BYTES = 64;

const keyError = (message: string, cause?: unknown): ArchyError =>
  new ArchyError(RpcErrorCode.InvalidParams, message, { cause });

export function createSigningKeyPair(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: P256 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKeyPem(publicKey),
    keyId: keyIdOf(publicKey),
  };
}

/**
 * A key's id: the hex SHA-256 of its DER SubjectPublicKeyInfo, so anyone can recompute it with
 * `openssl pkey -pubin -in cosign.pub -outform DER | sha256sum`.
 */
export const keyIdOf = (publicKey: KeyObject): string =>
  createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');

export const publicKeyPem = (publicKey: KeyObject): string =>
  publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Parses a trusted public key (PEM); anything but P-256 is refused, since cosign key pairs are P-256. */
export function loadVerificationKey(pem: string, label = 'trusted key'): VerificationKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw keyError(`${label} is not a PEM public key (expected the contents of a cosign.pub file)`, err);
  }
  assertP256(key, label);
  return { keyId: keyIdOf(key), key };
}

/** Parses a private signing key (PKCS#8 or SEC1 PEM, unencrypted). */
export function loadSigningKey(pem: string, label = 'signing key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    const hint = pem.includes('ENCRYPTED SIGSTORE PRIVATE KEY')
      ? "; this is cosign's encrypted key format, which archy does not read — create a key with: archy image keygen --out <dir>"
      : '; create one with: archy image keygen --out <dir>';
    throw keyError(`${label} is not an unencrypted PEM private key${hint}`, err);
  }
  assertP256(key, label);
  return key;
}

/** Signs `payload` the way cosign does: ECDSA over SHA-256, ASN.1 DER, base64. */
export const signPayload = (privateKey: KeyObject, payload: Uint8Array): string =>
  sign('sha256', payload, { key: privateKey, dsaEncoding: 'der' }).toString('base64');

/**
 * Whether `signatureBase64` is a valid signature of `payload` by `publicKey`. cosign writes and
 * accepts ASN.1 DER; we also accept the raw r‖s form some KMS/WebCrypto signers produce (same
 * curve, same hash, so it proves the same thing). Malformed input is simply not a valid signature.
 */
export function verifyPayloadSignature(
  publicKey: KeyObject,
  payload: Uint8Array,
  signatureBase64: string,
): boolean {
  const signature = decodeBase64(signatureBase64);
  if (!signature) return false;
  if (verifyWith(publicKey, payload, signature, 'der')) return true;
  return signature.length === RAW_SIGNATURE_BYTES && verifyWith(publicKey, payload, signature, 'ieee-p1363');
}

function verifyWith(
  key: KeyObject,
  payload: Uint8Array,
  signature: Buffer,
  dsaEncoding: 'der' | 'ieee-p1363',
): boolean {
  try {
    return verify('sha256', payload, { key, dsaEncoding }, signature);
  } catch {
    return false;
  }
}

/** Strict base64: Buffer.from() silently skips junk, which would let garbage look like a signature. */
function decodeBase64(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!trimmed || trimmed.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  return Buffer.from(trimmed, 'base64');
}

function assertP256(key: KeyObject, label: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== P256)
    throw keyError(
      `${label} is a ${key.asymmetricKeyType ?? 'unknown'}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''} key; ` +
        'image signatures use ECDSA P-256 keys (cosign generate-key-pair, or archy image keygen)',
    );
}
