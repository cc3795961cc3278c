import { describe, expect, it } from 'vitest';
import { formatBytes, parseByteSize, parseDuration } from './units.js';

const MiB = 1024 * 1024;

describe('parseByteSize', () => {
  it.each([
    ['64M', 64 * MiB],
    ['512Mi', 512 * MiB],
    ['512MiB', 512 * MiB],
    ['2GB', 2 * 1024 * MiB],
    ['1G', 1024 * MiB],
    ['1g', 1024 * MiB],
    ['100k', 102_400],
    ['1T', 1024 ** 4],
    ['1.5K', 1536],
    ['4096', 4096],
    [4096, 4096],
  ])('reads %j as %d bytes (1024-based units)', (input, bytes) => {
    expect(parseByteSize(input)).toEqual({ ok: true, value: bytes });
  });

  it.each(['64X', '', 'M', '-1M', '1.2.3G', '5i', '64 megabytes', 0, -5, 1.5, null, true])(
    'refuses %j',
    (input) => {
      const result = parseByteSize(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain('"64M"');
    },
  );
});

describe('parseDuration', () => {
  it.each([
    ['10s', 10_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    [10, 10_000],
    [0.25, 250],
    [0, 0],
  ])('reads %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, value: ms });
  });

  it.each(['10', '10 parsecs', '-5s', '1d', '', null, -1, '25h'])('refuses %j', (input) => {
    expect(parseDuration(input).ok).toBe(false);
  });
});

describe('formatBytes', () => {
  it('writes sizes the way a manifest would', () => {
    expect(formatBytes(64 * MiB)).toBe('64M');
    expect(formatBytes(1024 * MiB)).toBe('1G');
    expect(formatBytes(1500)).toBe('1500 bytes');
  });
});
