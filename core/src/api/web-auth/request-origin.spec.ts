import { describe, expect, it } from 'vitest';
import { isTrustedHost, requestSite } from './request-origin.js';

describe('requestSite', () => {
  const host = '127.0.0.1:5959';
  it.each([
    ['a same-origin Origin', { host, origin: 'http://127.0.0.1:5959' }, 'same-origin'],
    ['Sec-Fetch-Site same-origin', { host, 'sec-fetch-site': 'same-origin' }, 'same-origin'],
    [
      'an https Origin on the default port',
      { host: 'node.local', origin: 'https://node.local:443' },
      'same-origin',
    ],
    ['another port (same site, other origin)', { host, origin: 'http://127.0.0.1:18080' }, 'foreign'],
    ['another host', { host, origin: 'http://evil.example' }, 'foreign'],
    ['a null Origin (sandboxed frame)', { host, origin: 'null' }, 'foreign'],
    ['Sec-Fetch-Site same-site', { host, 'sec-fetch-site': 'same-site' }, 'foreign'],
    [
      'Sec-Fetch-Site cross-site with a matching Origin',
      { host, origin: 'http://127.0.0.1:5959', 'sec-fetch-site': 'cross-site' },
      'foreign',
    ],
    ['no browser headers', { host }, 'unknown'],
    ['Sec-Fetch-Site none (typed URL)', { host, 'sec-fetch-site': 'none' }, 'unknown'],
  ])('%s', (_what, headers, expected) => {
    expect(requestSite(headers)).toBe(expected);
  });
});

describe('isTrustedHost', () => {
  it.each([
    '127.0.0.1:5959',
    '[::1]:5959',
    '192.168.1.20',
    'localhost:5959',
    'app.localhost',
    'archipelago.local',
    'abc.onion',
  ])('trusts %s', (host) => expect(isTrustedHost(host)).toBe(true));

  it.each(['evil.example:5959', 'localhost.evil.example', '', 'a/b'])(
    'does not trust %s (DNS rebinding)',
    (host) => expect(isTrustedHost(host)).toBe(false),
  );

  it('trusts configured names', () => {
    expect(isTrustedHost('node.home.arpa:5959', ['node.home.arpa'])).toBe(true);
  });
});
