import { isIP } from 'node:net';

// Which peers may tell us who the client is. Behind a reverse proxy (Caddy, nginx, a TLS
// terminator) every request arrives from the proxy's address, so the login throttle would count
// all users as one client and the daemon could not know the browser used https. The proxy says
// both in X-Forwarded-For / X-Forwarded-Proto — but any client can send those headers too, so
// they are believed only from the addresses named here, and by default from nowhere.

/** Environment variable holding the same list as `archy daemon --trusted-proxy`. */
export const TRUSTED_PROXIES_ENV = 'ARCHY_TRUSTED_PROXIES';

/**
 * Parses "127.0.0.1, ::1, 10.0.0.0/8" into a list for Fastify's `trustProxy` (proxy-addr).
 * Only IP addresses and CIDR ranges: keywords like "loopback" or names would trust more than a
 * reader of the setting sees. Throws with what to write instead.
 */
export function parseTrustedProxies(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      if (!isAddressOrRange(entry)) {
        throw new Error(
          `'${entry.slice(0, 60)}' is not an IP address or CIDR range: name the reverse proxy's own address, e.g. --trusted-proxy 127.0.0.1 or 10.0.0.0/24`,
        );
      }
      return entry;
    });
}

function isAddressOrRange(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}
