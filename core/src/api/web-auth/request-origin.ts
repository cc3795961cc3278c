import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

// Where a browser request came from. Browsers attach cookies to requests that other pages start
// (forms, fetches from another port of the same host — a different origin but the same "site",
// so even SameSite=Strict cookies go along) and to WebSocket upgrades, which CORS never guards.
// Origin and Sec-Fetch-Site are set by the browser, not by the page, so they tell us the truth.

export type RequestSite = 'same-origin' | 'foreign' | 'unknown';

/**
 * 'same-origin' when the browser says the page was served by this very host:port, 'foreign' when
 * it says anything else, 'unknown' when it says nothing (older browsers, non-browser clients).
 */
export function requestSite(headers: IncomingHttpHeaders): RequestSite {
  const verdicts: RequestSite[] = [];
  const fetchSite = single(headers['sec-fetch-site']);
  // 'none' is a user typing the URL or opening a bookmark: no page started it, and it says nothing
  // about origin either.
  if (fetchSite !== undefined && fetchSite !== 'none') {
    verdicts.push(fetchSite === 'same-origin' ? 'same-origin' : 'foreign');
  }
  const origin = single(headers.origin);
  if (origin !== undefined)
    verdicts.push(originMatchesHost(origin, headers.host) ? 'same-origin' : 'foreign');
  if (verdicts.includes('foreign')) return 'foreign';
  return verdicts.length > 0 ? 'same-origin' : 'unknown';
}

function originMatchesHost(origin: string, host: string | undefined): boolean {
  if (!host || origin === 'null') return false;
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    return false;
  }
  if (originUrl.protocol !== 'http:' && originUrl.protocol !== 'https:') return false;
  const hostUrl = parseHost(host, originUrl.protocol);
  return hostUrl !== undefined && hostUrl.host === originUrl.host;
}

/**
 * Names a web login may be served under without configuration. A page on any other name that
 * reaches the daemon has most likely re-pointed its own DNS name at this machine (DNS
 * rebinding) to talk to the API as if it were the node's own page, e.g. to set the first
 * password. IP literals can't be rebound; localhost, .local (mDNS) and .onion names are resolved
 * by the user's own machine, network or Tor, not by a website's DNS server.
 */
export function isTrustedHost(host: string | undefined, extraHostnames: readonly string[] = []): boolean {
  if (!host) return false;
  const url = parseHost(host, 'http:');
  if (!url) return false;
  const name = url.hostname.toLowerCase().replace(/\.$/, '');
  if (isIP(name.replace(/^\[|\]$/g, '')) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (name.endsWith('.local') || name.endsWith('.onion')) return true;
  return extraHostnames.some((extra) => extra.toLowerCase().replace(/\.$/, '') === name);
}

/**
 * The onion listener's rule, stricter than isTrustedHost: the node's own onion name only (Tor
 * forwards our port 80, so no other port), and nothing while Tor has not made the address yet.
 */
export function isNodeOnionHost(host: string | undefined, onionHostname: string | undefined): boolean {
  if (!host || !onionHostname) return false;
  const url = parseHost(host, 'http:');
  return url !== undefined && url.port === '' && sameName(url.hostname, onionHostname);
}

/** Whether the Host names the node's onion at all (any port): the LAN listener must not answer it. */
export function namesNodeOnion(host: string | undefined, onionHostname: string | undefined): boolean {
  if (!host || !onionHostname) return false;
  const url = parseHost(host, 'http:');
  return url !== undefined && sameName(url.hostname, onionHostname);
}

function sameName(a: string, b: string): boolean {
  const plain = (name: string) => name.toLowerCase().replace(/\.$/, '');
  return plain(a) === plain(b);
}

/** The Host header as a URL, so default ports and IPv6 brackets compare like the Origin's. */
function parseHost(host: string, protocol: string): URL | undefined {
  if (/[/?#@\s]/.test(host)) return undefined;
  try {
    return new URL(`${protocol}//${host}`);
  } catch {
    return undefined;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** True for a request asking to become a WebSocket. */
export function isWebSocketUpgrade(headers: IncomingHttpHeaders): boolean {
  return single(headers.upgrade)?.toLowerCase() === 'websocket';
}
