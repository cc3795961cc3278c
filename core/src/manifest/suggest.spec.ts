import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from './suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('health', 'helth')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('counts swapping two neighbours as one edit', () => {
    expect(editDistance('imgae', 'image')).toBe(1);
  });
});

describe('suggest', () => {
  const topLevel = ['id', 'name', 'version', 'image', 'health', 'ports', 'volumes', 'readOnlyRootfs'];

  it('names the key a typo was reaching for', () => {
    expect(suggest('imgae', topLevel)).toBe('image');
    expect(suggest('helth', topLevel)).toBe('health');
    expect(suggest('volume', topLevel)).toBe('volumes');
  });

  it('ignores case and word separators', () => {
    expect(suggest('read_only_rootfs', topLevel)).toBe('readOnlyRootfs');
    expect(suggest('Image', topLevel)).toBe('image');
  });

  it('stays quiet when nothing is close', () => {
    expect(suggest('privileged', topLevel)).toBeUndefined();
    expect(suggest('xyz', topLevel)).toBeUndefined();
    expect(suggest('', topLevel)).toBeUndefined();
  });

  it('allows one edit only for short words', () => {
    expect(suggest('xy', topLevel)).toBeUndefined(); // two edits from 'id'
    expect(suggest('idd', topLevel)).toBe('id');
  });
});
