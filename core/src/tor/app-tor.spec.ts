import { describe, expect, it } from 'vitest';
import { appOnions, effectiveTorMode, needsTorSidecar } from './app-tor.js';

describe('an app’s Tor', () => {
  const privacy = { default: 'tor' as const, onions: [{ port: 8333, name: 'p2p' }] };
  const plain = { default: 'clearnet' as const, onions: [] };

  it('takes the user’s mode over the manifest’s default, and clearnet without a tor: block', () => {
    expect(effectiveTorMode(privacy, undefined)).toBe('tor');
    expect(effectiveTorMode(privacy, { tor: 'clearnet' })).toBe('clearnet');
    expect(effectiveTorMode(plain, { tor: 'tor' })).toBe('tor');
    expect(effectiveTorMode(undefined, {})).toBe('clearnet');
  });

  it('lists the manifest’s onions then the user’s, skipping a user onion the manifest already serves', () => {
    expect(
      appOnions(privacy, {
        onions: [{ port: 8080 }, { port: 9000, virtualPort: 8333 }, { port: 3000, virtualPort: 80 }],
      }),
    ).toEqual([
      { name: 'p2p', port: 8333, virtualPort: 8333, source: 'manifest' },
      { name: 'port-8080', port: 8080, virtualPort: 8080, source: 'user' },
      { name: 'port-3000', port: 3000, virtualPort: 80, source: 'user' },
    ]);
  });

  it('runs a sidecar in mode tor or with any onion', () => {
    expect(needsTorSidecar(undefined, undefined)).toBe(false);
    expect(needsTorSidecar(plain, undefined)).toBe(false);
    expect(needsTorSidecar(plain, { onions: [{ port: 80 }] })).toBe(true);
    expect(needsTorSidecar(undefined, { onions: [{ port: 80 }] })).toBe(true);
    expect(needsTorSidecar({ ...privacy, onions: [] }, undefined)).toBe(true);
    expect(needsTorSidecar({ ...privacy, onions: [] }, { tor: 'clearnet' })).toBe(false);
  });
});
