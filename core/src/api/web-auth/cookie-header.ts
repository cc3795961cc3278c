import type { IncomingHttpHeaders } from 'node:http';

// The one cookie the web UI needs, read and written by hand: it keeps a dependency out, and the
// rules we rely on are few (RFC 6265 §4.2.1 for Cookie, §4.1.1 for Set-Cookie).

export const SESSION_COOKIE_NAME = 'archy_session';
/**
 * Under TLS the cookie carries the `__Host-` prefix: browsers accept it only with Secure, Path=/
 * and no Domain, so neither a plain-http page on this host nor a sibling name can plant or
 * overwrite it.
 */
export const SECURE_SESSION_COOKIE_NAME = `__Host-${SESSION_COOKIE_NAME}`;

/** The session cookie's name for a request over TLS (`secure`) or plain http. */
export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE_NAME : SESSION_COOKIE_NAME;
}

/**
 * The value of cookie `name` in the request's Cookie header(s), or undefined. When the name
 * appears more than once (a cookie for a parent path or domain planted beside ours), the request
 * is ambiguous and none is returned: better a login prompt than a session chosen by an attacker.
 */
export function readCookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  const header = headers.cookie;
  if (!header) return undefined;
  const found: string[] = [];
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0) continue;
    if (pair.slice(0, equals).trim() !== name) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    found.push(value);
  }
  return found.length === 1 && found[0] ? found[0] : undefined;
}

export interface SessionCookieOptions {
  maxAgeSeconds: number;
  /** Only over TLS (a Secure cookie sent on plain http would be dropped): Secure and `__Host-`. */
  secure: boolean;
}

/** Set-Cookie for the session: unreadable by scripts, never sent on cross-site requests. */
export function sessionCookie(token: string, options: SessionCookieOptions): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token))
    throw new Error('session tokens are base64url; refusing to write another value into Set-Cookie');
  const attributes = [
    `${sessionCookieName(options.secure)}=${token}`,
    'HttpOnly',
    'SameSite=Strict',
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
  ];
  if (options.secure) attributes.push('Secure');
  return attributes.join('; ');
}

/** Set-Cookie that makes the browser drop the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookieName(secure)}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}
