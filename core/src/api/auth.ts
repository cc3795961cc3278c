import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { writeFileAtomic } from '../util/atomic-file.js';
import { DAEMON_FILES, DataLayout } from '../layout/index.js';

// Local clients authenticate like bitcoind's cookie: the daemon writes a fresh random token to
// DATA_DIR/.cookie (mode 0600) at each start, and whoever can read that file may call the API.

export const COOKIE_FILE_NAME = DAEMON_FILES.cookie;

export const UNAUTHORIZED_MESSAGE =
  "unauthorized: send the token from DATA_DIR/.cookie as 'Authorization: Bearer <token>'";

export function cookiePath(dataDir: string): string {
  return new DataLayout(dataDir).cookieFile;
}

/**
 * Writes a new random 32-byte hex token to DATA_DIR/.cookie and returns it. writeFileAtomic
 * creates its temp file 0600 ('wx': never a file whose mode we do not control) and renames it
 * over the cookie, so no reader ever sees a partly written token or a world-readable file.
 */
export async function writeCookie(dataDir: string): Promise<string> {
  const token = randomBytes(32).toString('hex');
  await writeFileAtomic(cookiePath(dataDir), token, 0o600);
  return token;
}

/** Removes the cookie at shutdown so clients get "is it running?" rather than a stale token. */
export async function removeCookie(dataDir: string): Promise<void> {
  await rm(cookiePath(dataDir), { force: true });
}

/**
 * Compares tokens in constant time. Both sides are hashed first so that timingSafeEqual always
 * sees equal lengths and the comparison reveals neither content nor length.
 */
export function tokensMatch(expected: string, presented: string | undefined): boolean {
  if (presented === undefined || expected.length === 0) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

/** The token of an `Authorization: Bearer <token>` header, if that is what the header holds. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

/**
 * One way a request may prove who it is. The bearer token is the first; the web UI's password
 * login adds a session-cookie check beside it, and a request passes when any check accepts it.
 */
export type RequestAuthCheck = (request: { headers: IncomingHttpHeaders }) => boolean;

export function bearerTokenCheck(token: string): RequestAuthCheck {
  return (request) => tokensMatch(token, bearerToken(request.headers));
}

/**
 * An auth check with the name the audit log records for it: `bearer-token` (DATA_DIR/.cookie, the
 * CLI and local tools), `web-session` (the web UI's login), or another named way in.
 */
export interface NamedAuthCheck<R extends object = { headers: IncomingHttpHeaders }> {
  name: string;
  check: (request: R) => boolean;
}

const acceptedBy = new WeakMap<object, string>();

/**
 * The name of the first check that accepts the request, or undefined; remembered on the request,
 * so the audit log can say how the caller got in (authMethodOf) rather than guess from headers,
 * and the server which methods it may call.
 */
export function matchAuthCheck<R extends object>(
  request: R,
  checks: readonly NamedAuthCheck<R>[],
): string | undefined {
  const matched = checks.find(({ check }) => check(request))?.name;
  if (matched !== undefined) acceptedBy.set(request, matched);
  return matched;
}

/** The name of the check that accepted `request` (see matchAuthCheck), if one did. */
export function authMethodOf(request: unknown): string | undefined {
  return typeof request === 'object' && request !== null ? acceptedBy.get(request) : undefined;
}
