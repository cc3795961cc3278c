import { describe, expect, it } from 'vitest';
import { digestHex, isDigest, sha256Digest, signatureTag } from './digest.js';

describe('digests', () => {
  it('are the sha256 of the exact bytes', () => {
    expect(sha256Digest(Buffer.alloc(0))).toBe(
      'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Digest(Buffer.from('abc'))).toBe(
      'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    // Re-serialising JSON changes the digest: that is why we hash bytes as served.
    expect(sha256Digest(Buffer.from('{"a":1}'))).not.toBe(sha256Digest(Buffer.from('{ "a": 1 }')));
  });

  it('are recognised only as lowercase sha256 with 64 hex digits', () => {
    const hex = 'a'.repeat(64);
    expect(isDigest(`sha256:${hex}`)).toBe(true);
    for (const bad of [
      hex,
      `sha256:${hex.toUpperCase()}`,
      `sha512:${hex}`,
      `sha256:${hex}0`,
      `sha256:${hex.slice(1)}`,
      7,
    ])
      expect(isDigest(bad)).toBe(false);
  });
});

describe('cosign signature tags', () => {
  it('replace the colon with a dash and append .sig', () => {
    const digest = 'sha256:97fc222cee7991b5b061d4d4afdb5f3428fcb0c9054e1690313786befa1e4e36' as const;
    expect(digestHex(digest)).toBe('97fc222cee7991b5b061d4d4afdb5f3428fcb0c9054e1690313786befa1e4e36');
    expect(signatureTag(digest)).toBe(
      'sha256-97fc222cee7991b5b061d4d4afdb5f3428fcb0c9054e1690313786befa1e4e36.sig',
    );
    // A valid tag: at most 128 characters of [\w.-].
    expect(signatureTag(digest)).toMatch(/^[\w][\w.-]{0,127}$/);
  });
});
