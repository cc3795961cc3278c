import { describe, expect, it } from 'vitest';
import { throttleKeyForAddress, throttleKeyForRequest } from './client-key.js';

describe('throttleKeyForAddress', () => {
  it('counts an IPv4 address (also IPv4-mapped) as itself', () => {
    expect(throttleKeyForAddress('192.0.2.7')).toBe('192.0.2.7');
    expect(throttleKeyForAddress('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('counts IPv6 addresses of one /64 as one client', () => {
    const a = throttleKeyForAddress('2001:db8:1:2:aaaa::1');
    expect(a).toBe('2001:db8:1:2::/64');
    expect(throttleKeyForAddress('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(a);
    expect(throttleKeyForAddress('2001:db8:1:3::1')).not.toBe(a);
    expect(throttleKeyForAddress('::1')).toBe('0:0:0:0::/64');
    expect(throttleKeyForAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('has a key for an unknown address', () => {
    expect(throttleKeyForAddress(undefined)).toBe('unknown');
  });
});

describe('throttleKeyForRequest', () => {
  it('puts every onion request in one bucket, which no address (loopback included) shares', () => {
    expect(throttleKeyForRequest({ ip: undefined, viaOnion: true })).toBe('onion');
    // A request over Tor carries no address of its own; even if one were there, it would not count.
    expect(throttleKeyForRequest({ ip: '127.0.0.1', viaOnion: true })).toBe('onion');
    expect(throttleKeyForRequest({ ip: '127.0.0.1', viaOnion: false })).toBe('127.0.0.1');
    expect(throttleKeyForRequest({ ip: '::1', viaOnion: false })).not.toBe('onion');
    expect(throttleKeyForRequest({ ip: undefined, viaOnion: false })).toBe('unknown');
  });
});
