import { isIPv4, isIPv6 } from 'node:net';
import { ONION_CLIENT_KEY } from './via-onion.js';

// Who the login throttle counts failures against. An IPv4 address is one client; an IPv6 host
// usually owns a whole /64 and can pick a fresh address per guess, so IPv6 is counted per /64.

/**
 * The throttle's key for a request: every request over the onion service shares one bucket, since
 * Tor hides who sent it (and a per-circuit key would be free for an attacker to change). That
 * bucket is no address, so loopback and LAN clients never share it.
 */
export function throttleKeyForRequest(request: { ip: string | undefined; viaOnion: boolean }): string {
  return request.viaOnion ? ONION_CLIENT_KEY : throttleKeyForAddress(request.ip);
}

export function throttleKeyForAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  const withoutZone = address.split('%')[0]!;
  const mappedV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(withoutZone)?.[1];
  if (mappedV4 && isIPv4(mappedV4)) return mappedV4;
  if (isIPv4(withoutZone)) return withoutZone;
  if (!isIPv6(withoutZone)) return withoutZone;
  return `${expandIPv6(withoutZone).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (e.g. ::1.2.3.4) is two more groups.
  const v4Tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4Tail) {
    const [a, b, c, d] = v4Tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4Tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((group) => parseInt(group, 16).toString(16));
}
