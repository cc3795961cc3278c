import { describe, expect, it } from 'vitest';
import { clearedSessionCookie, readCookie, sessionCookie } from './cookie-header.js';

describe('readCookie', () => {
  it('finds the named cookie among others', () => {
    expect(readCookie({ cookie: 'a=1; archy_session=tok-en_1; b=2' }, 'archy_session')).toBe('tok-en_1');
    expect(readCookie({ cookie: 'archy_session="quoted"' }, 'archy_session')).toBe('quoted');
  });

  it('returns nothing when absent, empty, or ambiguous (a planted duplicate)', () => {
    expect(readCookie({}, 'archy_session')).toBeUndefined();
    expect(readCookie({ cookie: 'xarchy_session=1; archy_sessionx=2' }, 'archy_session')).toBeUndefined();
    expect(readCookie({ cookie: 'archy_session=' }, 'archy_session')).toBeUndefined();
    expect(readCookie({ cookie: 'archy_session=a; archy_session=b' }, 'archy_session')).toBeUndefined();
  });
});

describe('sessionCookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/, with Max-Age, and Secure only over TLS', () => {
    expect(sessionCookie('abc_-1', { maxAgeSeconds: 43200, secure: false })).toBe(
      'archy_session=abc_-1; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200',
    );
    expect(sessionCookie('abc', { maxAgeSeconds: 60, secure: true })).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toBe('archy_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0');
  });

  it('refuses a value that could inject attributes', () => {
    expect(() => sessionCookie('a; Domain=evil', { maxAgeSeconds: 1, secure: false })).toThrow(/base64url/);
  });
});
