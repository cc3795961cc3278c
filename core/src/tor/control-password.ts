// Tor's control-port password hash: what `tor --hash-password <secret>` prints and torrc's
// `HashedControlPassword` takes. OpenPGP's iterated and salted S2K (RFC 4880 §3.7.1.3) with SHA-1,
// as tor's secret_to_key_rfc2440 does it: `16:` + hex(8 random salt bytes, the count indicator
// 0x60, SHA-1 over (salt ‖ secret) repeated to 65536 bytes). The daemon makes the hash itself,
// so the password never goes on a command line (`tor --hash-password` would show it in `ps`).

import { createHash, randomBytes } from 'node:crypto';

/** tor's fixed count indicator: (16 + (0x60 & 15)) << ((0x60 >> 4) + 6) = 65536 bytes hashed. */
const S2K_INDICATOR = 0x60;
const SALT_BYTES = 8;

/** How many bytes of (salt ‖ secret) the indicator says to hash (RFC 4880's EXPBIAS 6). */
export function s2kByteCount(indicator: number): number {
  return (16 + (indicator & 15)) << ((indicator >> 4) + 6);
}

/** `16:<58 hex digits>` for `password`; `salt` (8 bytes) only for tests and checks. */
export function hashControlPassword(password: string, salt: Buffer = randomBytes(SALT_BYTES)): string {
  if (salt.length !== SALT_BYTES)
    throw new Error(`a Tor S2K salt is ${SALT_BYTES} bytes, not ${salt.length}`);
  const unit = Buffer.concat([salt, Buffer.from(password, 'utf8')]);
  const count = Math.max(s2kByteCount(S2K_INDICATOR), unit.length);
  // The whole repeated input in one buffer (64 KiB): one update instead of thousands.
  const input = Buffer.alloc(count);
  for (let at = 0; at < count; at += unit.length) unit.copy(input, at, 0, Math.min(unit.length, count - at));
  const digest = createHash('sha1').update(input).digest();
  return `16:${Buffer.concat([salt, Buffer.from([S2K_INDICATOR]), digest])
    .toString('hex')
    .toUpperCase()}`;
}

/** Whether `hash` (as tor prints it) is `password`'s: re-hashes with its salt. */
export function controlPasswordMatches(hash: string, password: string): boolean {
  const match = /^16:([0-9A-Fa-f]{16})60[0-9A-Fa-f]{40}$/.exec(hash);
  if (!match) return false;
  return hashControlPassword(password, Buffer.from(match[1]!, 'hex')) === `16:${hash.slice(3).toUpperCase()}`;
}

/** A control password: 32 characters of [A-Za-z0-9] (≈190 bits), safe in torrc, argv and env. */
export function generateControlPassword(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // 248 = 4 × 62: bytes at or above it are dropped so every character is equally likely.
  let out = '';
  while (out.length < 32)
    for (const byte of randomBytes(48)) if (byte < 248 && out.length < 32) out += alphabet[byte % 62];
  return out;
}
