import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bearerToken,
  bearerTokenCheck,
  cookiePath,
  matchAuthCheck,
  removeCookie,
  tokensMatch,
  writeCookie,
} from './auth.js';

describe('writeCookie', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'archy-auth-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes a 32-byte hex token to DATA_DIR/.cookie, readable by its owner only', async () => {
    const token = await writeCookie(dataDir);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(await readFile(cookiePath(dataDir), 'utf8')).toBe(token);
    expect((await stat(cookiePath(dataDir))).mode & 0o777).toBe(0o600);
  });

  it('writes a new token each time and leaves no temp files', async () => {
    const first = await writeCookie(dataDir);
    const second = await writeCookie(dataDir);
    expect(second).not.toBe(first);
    expect(await readFile(cookiePath(dataDir), 'utf8')).toBe(second);
    expect(await readdir(dataDir)).toEqual(['.cookie']);
  });

  it('stays 0600 even under a permissive umask', async () => {
    const previous = process.umask(0o000);
    try {
      await writeCookie(dataDir);
    } finally {
      process.umask(previous);
    }
    expect((await stat(cookiePath(dataDir))).mode & 0o777).toBe(0o600);
  });

  it('creates a missing data dir, and removeCookie deletes the cookie', async () => {
    const nested = join(dataDir, 'not', 'yet');
    await writeCookie(nested);
    await removeCookie(nested);
    await expect(stat(cookiePath(nested))).rejects.toMatchObject({ code: 'ENOENT' });
    await removeCookie(nested); // and again: nothing to remove is fine
  });
});

describe('token checks', () => {
  const token = 'a'.repeat(64);

  it('matches only the exact token', () => {
    expect(tokensMatch(token, token)).toBe(true);
    expect(tokensMatch(token, 'b'.repeat(64))).toBe(false);
    expect(tokensMatch(token, token.slice(1))).toBe(false);
    expect(tokensMatch(token, `${token}x`)).toBe(false);
    expect(tokensMatch(token, '')).toBe(false);
    expect(tokensMatch(token, undefined)).toBe(false);
    expect(tokensMatch('', '')).toBe(false);
  });

  it('reads a bearer token from the Authorization header only', () => {
    expect(bearerToken({ authorization: `Bearer ${token}` })).toBe(token);
    expect(bearerToken({ authorization: `bearer ${token}` })).toBe(token);
    expect(bearerToken({ authorization: `Basic ${token}` })).toBeUndefined();
    expect(bearerToken({ authorization: 'Bearer' })).toBeUndefined();
    expect(bearerToken({})).toBeUndefined();
  });

  it('accepts a request when any check does, naming the first that did', () => {
    const bearer = { name: 'bearer-token', check: bearerTokenCheck(token) };
    const sessionCookie = {
      name: 'web-session',
      check: (request: { headers: { cookie?: string } }) => request.headers.cookie === 'session=ok',
    };
    const isAuthorized = (request: { headers: Record<string, string> }, checks: (typeof bearer)[]) =>
      matchAuthCheck(request, checks) !== undefined;
    expect(isAuthorized({ headers: { authorization: `Bearer ${token}` } }, [bearer, sessionCookie])).toBe(
      true,
    );
    expect(isAuthorized({ headers: { cookie: 'session=ok' } }, [bearer, sessionCookie])).toBe(true);
    expect(isAuthorized({ headers: { authorization: 'Bearer wrong' } }, [bearer, sessionCookie])).toBe(false);
    expect(isAuthorized({ headers: {} }, [bearer])).toBe(false);
    expect(matchAuthCheck({ headers: { cookie: 'session=ok' } }, [bearer, sessionCookie])).toBe(
      'web-session',
    );
  });
});
