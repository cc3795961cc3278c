import type { SignImageResult } from './sign-image.js';
import type { GeneratedKeyPair } from './signing-key-files.js';
import type { VerifiedImage } from './verify-image.js';

/** Text for `archy image keygen` (the --json form prints the object itself, minus nothing secret). */
export const formatKeyPairGenerated = (pair: GeneratedKeyPair): string =>
  [
    `Private key: ${pair.privateKeyPath} (mode 0600; keep it secret and backed up)`,
    `Public key:  ${pair.publicKeyPath} (add it to the catalog's trusted keys)`,
    `Key id:      ${pair.keyId}`,
  ].join('\n');

/** Text for `archy image sign`. */
export function formatImageSigned(result: SignImageResult): string {
  const head = result.alreadySigned
    ? `${result.image} (${result.digest}) was already signed by key ${result.keyId}; nothing written.`
    : `Signed ${result.image} (${result.digest}) with key ${result.keyId}.`;
  return `${head}\nSignatures: ${result.signatureRef} (${result.signatureCount} in total)`;
}

/** Text for a successful verification (e.g. a future `archy image verify`, or a log line). */
export const formatImageVerified = (result: VerifiedImage): string =>
  `Verified ${result.reference}, signed by key ${result.signedBy}.`;
