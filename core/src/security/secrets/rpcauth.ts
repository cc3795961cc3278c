import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A `rpcauth=` value for bitcoin.conf: bitcoind stores only the salted HMAC, never the password. */
export interface RpcAuth {
  /** `user:salt$hmac`, the value to put after `rpcauth=`. */
  line: string;
  user: string;
  /** 32 lowercase hex characters (16 random bytes). */
  salt: string;
  /** HMAC-SHA256 of the password, lowercase hex. */
  hmac: string;
}

/**
 * bitcoind splits the value at ':' and then '$', and its config reader cuts lines at '#' and
 * trims whitespace, so a user name holding any of those would silently become another name.
 * A conservative character set keeps the name intact in bitcoin.conf, on command lines and in URLs.
 */
// Up to 80: a dependent's user is `archy-<app-id>`, and app ids run to 63 characters.
export const RPC_USER_PATTERN = /^[A-Za-z0-9_.-]{1,80}$/;
const SALT_PATTERN = /^[0-9a-f]{32}$/;

export function assertValidRpcUser(user: string): void {
  if (!RPC_USER_PATTERN.test(user)) {
    throw new TypeError(
      `invalid RPC user name ${JSON.stringify(user)}: use 1 to 80 letters, digits, '_', '.' or '-' ` +
        "(':', '$', '#' and spaces would break bitcoind's rpcauth line)",
    );
  }
}

/**
 * Bitcoin Core's rpcauth (share/rpcauth/rpcauth.py): the HMAC key is the salt's hex *text*,
 * not the 16 bytes it encodes — bitcoind recomputes it that way, so the two must match.
 */
export function rpcauth(
  user: string,
  password: string,
  salt: string = randomBytes(16).toString('hex'),
): RpcAuth {
  assertValidRpcUser(user);
  if (!SALT_PATTERN.test(salt)) {
    throw new TypeError(
      'rpcauth salt must be 32 lowercase hex characters (16 random bytes); omit it to generate one',
    );
  }
  if (password.length === 0) throw new TypeError('rpcauth password must not be empty');
  const hmac = rpcauthHmac(salt, password);
  return { line: `${user}:${salt}$${hmac}`, user, salt, hmac };
}

/** True when `password` matches an rpcauth value, compared in constant time (as bitcoind does). */
export function checkRpcAuth(line: string, user: string, password: string): boolean {
  const match = /^([^:]+):([0-9a-f]+)\$([0-9a-f]{64})$/.exec(line);
  if (!match || match[1] !== user) return false;
  const expected = Buffer.from(match[3]!, 'hex');
  const actual = Buffer.from(rpcauthHmac(match[2]!, password), 'hex');
  return timingSafeEqual(expected, actual);
}

const rpcauthHmac = (salt: string, password: string): string =>
  createHmac('sha256', Buffer.from(salt, 'utf8')).update(password, 'utf8').digest('hex');

/**
 * A random password as base64url without padding: 32 bytes give 43 characters and 256 bits.
 * The alphabet (A-Z a-z 0-9 - _) needs no quoting in bitcoin.conf, env files, shells or URLs.
 */
export function generatePassword(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1024) {
    throw new RangeError(`generatePassword wants 16 to 1024 random bytes, got ${bytes}`);
  }
  return randomBytes(bytes).toString('base64url');
}
