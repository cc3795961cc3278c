import { describe, expect, it } from 'vitest';
import { ArchyError } from '../kernel/index.js';
import { catalogPinnedReference, registryReferenceOf } from './catalog-digest.js';

const image = '127.0.0.1:5000/archipelago/bitcoin-core:31.0';
const pinned = `sha256:${'a'.repeat(64)}`;
const moved = `sha256:${'b'.repeat(64)}`;

describe('catalog digest pins', () => {
  it('run the pinned digest when the tag still points at it', () => {
    expect(catalogPinnedReference({ appId: 'bitcoin-core', image, pinned, registryDigest: pinned })).toBe(
      `127.0.0.1:5000/archipelago/bitcoin-core@${pinned}`,
    );
  });

  it('refuse a moved tag, naming both digests and what to do', () => {
    let error: unknown;
    try {
      catalogPinnedReference({ appId: 'bitcoin-core', image, pinned, registryDigest: moved });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ArchyError);
    const message = (error as ArchyError).message;
    expect(message).toContain(pinned);
    expect(message).toContain(moved);
    expect(message).toContain('the tag was moved');
    expect(message).toContain('archy catalog');
    expect(message).not.toContain('\n');
    expect((error as ArchyError).data).toMatchObject({
      reason: 'digest-mismatch',
      pinned,
      registryDigest: moved,
    });
  });

  it('ask the registry for the tag the catalog names', () => {
    expect(registryReferenceOf(image)).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'archipelago/bitcoin-core',
      reference: '31.0',
    });
  });
});
