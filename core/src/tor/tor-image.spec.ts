import { describe, expect, it } from 'vitest';
import { parseLdd, torImageReference, torImageTag } from './tor-image.js';

describe('the Tor image', () => {
  it('is tagged with the package version made a valid tag', () => {
    expect(torImageTag('0.4.9.11-0+deb12u1')).toBe('0.4.9.11-0_deb12u1');
    expect(torImageTag('1:0.4.8.9-1~bpo12+1')).toBe('1_0.4.8.9-1_bpo12_1');
    expect(torImageReference('0.4.8.9-1')).toBe('localhost/archipelago/tor:0.4.8.9-1');
  });

  it('reads the loader and libraries from ldd, and names the missing ones', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd6b5f2000)',
      '\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f122b8f6000)',
      '\tlibevent-2.1.so.7 => /lib/x86_64-linux-gnu/libevent-2.1.so.7 (0x00007f122b7c1000)',
      '\tlibgone.so.1 => not found',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f122b928000)',
      '',
    ].join('\n');
    expect(parseLdd(output)).toEqual({
      libraries: ['/lib/x86_64-linux-gnu/libz.so.1', '/lib/x86_64-linux-gnu/libevent-2.1.so.7'],
      loader: '/lib64/ld-linux-x86-64.so.2',
      missing: ['libgone.so.1'],
    });
  });
});
