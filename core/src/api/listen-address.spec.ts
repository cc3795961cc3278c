import { describe, expect, it } from 'vitest';
import { parseListenAddress, urlForAddress } from './listen-address.js';

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:5959', { host: '127.0.0.1', port: 5959 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['localhost:8080', { host: 'localhost', port: 8080 }],
    ['[::1]:5959', { host: '::1', port: 5959 }],
    ['[::]:80', { host: '::', port: 80 }],
  ])('parses %s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  it.each([
    ['5959', /give a host too/],
    ['::1:5959', /put an IPv6 host in brackets/],
    ['127.0.0.1', /expected HOST:PORT/],
    ['127.0.0.1:65536', /0-65535/],
    ['127.0.0.1:http', /expected HOST:PORT/],
    ['[localhost]:80', /not an IPv6 address/],
    ['', /expected HOST:PORT/],
  ])('refuses %j with a hint', (text, reason) => {
    expect(() => parseListenAddress(text)).toThrow(reason);
    expect(() => parseListenAddress(text)).toThrow(/e\.g\. '127\.0\.0\.1:5959'/);
  });

  it('builds URLs with brackets for IPv6', () => {
    expect(urlForAddress({ host: '127.0.0.1', port: 5959 })).toBe('http://127.0.0.1:5959');
    expect(urlForAddress({ host: '::1', port: 5959 })).toBe('http://[::1]:5959');
  });
});
