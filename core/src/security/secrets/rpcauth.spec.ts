import { describe, expect, it } from 'vitest';
import { assertValidRpcUser, checkRpcAuth, generatePassword, rpcauth } from './rpcauth.js';

describe('rpcauth', () => {
  it("matches Bitcoin Core's rpcauth.py test vector (HMAC keyed by the salt's hex text)", () => {
    const auth = rpcauth('alice', 'pytest', '00'.repeat(16));
    expect(auth.hmac).toBe('0902338bb5203e7438a3b150acc15cfb8aea3f8881b65ebf6e2fd36cb5a53529');
    expect(auth.line).toBe(
      'alice:00000000000000000000000000000000$0902338bb5203e7438a3b150acc15cfb8aea3f8881b65ebf6e2fd36cb5a53529',
    );
  });

  it('generates a fresh 32-hex-character salt each time', () => {
    const a = rpcauth('u', 'password-1');
    const b = rpcauth('u', 'password-1');
    expect(a.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(a.salt).not.toBe(b.salt);
    expect(a.hmac).not.toBe(b.hmac);
    expect(a.line).toBe(`u:${a.salt}$${a.hmac}`);
  });

  it('checks a password against a line', () => {
    const { line } = rpcauth('lnd', 'correct horse');
    expect(checkRpcAuth(line, 'lnd', 'correct horse')).toBe(true);
    expect(checkRpcAuth(line, 'lnd', 'wrong horse')).toBe(false);
    expect(checkRpcAuth(line, 'other', 'correct horse')).toBe(false);
    expect(checkRpcAuth('garbage', 'lnd', 'correct horse')).toBe(false);
  });

  it.each(['', 'a:b', 'a$b', 'a#b', 'a b', 'ü', 'x'.repeat(81)])('refuses the user name %j', (user) => {
    expect(() => rpcauth(user, 'pw')).toThrow(/invalid RPC user name/);
    expect(() => assertValidRpcUser(user)).toThrow(/letters, digits/);
  });

  it('refuses malformed salts and empty passwords', () => {
    expect(() => rpcauth('u', 'pw', 'abc')).toThrow(/32 lowercase hex/);
    expect(() => rpcauth('u', 'pw', 'G'.repeat(32))).toThrow(/32 lowercase hex/);
    expect(() => rpcauth('u', '')).toThrow(/must not be empty/);
  });
});

describe('generatePassword', () => {
  it('gives base64url without padding, 43 characters for 32 bytes, different each time', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generatePassword()).not.toBe(a);
    expect(generatePassword(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('refuses too few bytes to be a password', () => {
    expect(() => generatePassword(8)).toThrow(RangeError);
    expect(() => generatePassword(16.5)).toThrow(RangeError);
  });
});
