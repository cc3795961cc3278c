import { describe, expect, it } from 'vitest';
import { formatByteSize } from './byte-size.js';

describe('formatByteSize', () => {
  it('prints bytes below 1 KiB as they are', () => {
    expect(formatByteSize(0)).toBe('0 B');
    expect(formatByteSize(1023)).toBe('1023 B');
  });

  it('prints binary units with one decimal', () => {
    expect(formatByteSize(1024)).toBe('1.0 KiB');
    expect(formatByteSize(64 * 1024 ** 2)).toBe('64.0 MiB');
    expect(formatByteSize(2 * 1024 ** 3)).toBe('2.0 GiB');
    expect(formatByteSize(5.1 * 1024 ** 3)).toBe('5.1 GiB');
    expect(formatByteSize(1.5 * 1024 ** 4)).toBe('1.5 TiB');
  });

  it('moves up a unit rather than print 1024.0', () => {
    expect(formatByteSize(1024 ** 2 - 1)).toBe('1.0 MiB');
    expect(formatByteSize(1023.9 * 1024)).toBe('1023.9 KiB');
  });

  it('shows a question mark for nonsense', () => {
    expect(formatByteSize(-1)).toBe('?');
    expect(formatByteSize(Number.NaN)).toBe('?');
  });
});
