import { describe, expect, it } from 'vitest';
import { parseTrustedProxies } from './trusted-proxy.js';

describe('parseTrustedProxies', () => {
  it('is empty by default: X-Forwarded-* believed from nobody', () => {
    expect(parseTrustedProxies(undefined)).toEqual([]);
    expect(parseTrustedProxies('  ')).toEqual([]);
  });

  it('takes IP addresses and CIDR ranges, comma-separated', () => {
    expect(parseTrustedProxies('127.0.0.1, ::1,10.0.0.0/8 ,fd00::/8')).toEqual([
      '127.0.0.1',
      '::1',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
  });

  it.each(['loopback', 'proxy.lan', '10.0.0.0/33', '::1/129', '1.2.3.4/8/8', '10.0.0.0/x'])(
    'refuses %s, saying what to write instead',
    (entry) => {
      expect(() => parseTrustedProxies(`127.0.0.1,${entry}`)).toThrow(/not an IP address or CIDR range/);
    },
  );
});
