import { describe, expect, it } from 'vitest';
import { asSentence, capitalize, formatDateTime, formatDuration, formatRate } from './format';

describe('format', () => {
  it('rates in the units of sizes', () => {
    expect(formatRate(3_200_000)).toBe('3.2 MB/s');
    expect(formatRate(512)).toBe('512 B/s');
    expect(formatRate(Number.NaN)).toBe('—');
  });

  it('durations as a person says them', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(59.4)).toBe('59 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(180)).toBe('3 min');
    expect(formatDuration(725)).toBe('12 min');
    expect(formatDuration(3600)).toBe('1 h');
    expect(formatDuration(4500)).toBe('1 h 15 min');
    expect(formatDuration(-1)).toBe('—');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
  });

  it('a date and time in the reader’s locale; text that is no date as it is', () => {
    expect(formatDateTime('2026-05-08T14:30:00Z', 'en-GB')).toMatch(/8 May 2026/);
    expect(formatDateTime('not a date')).toBe('not a date');
  });

  it('daemon messages as sentences', () => {
    expect(capitalize('restarted')).toBe('Restarted');
    expect(capitalize('')).toBe('');
    expect(asSentence('restarted with -prune=9536 (10 GB)')).toBe('Restarted with -prune=9536 (10 GB).');
    expect(asSentence('not pruning; nothing changed.')).toBe('Not pruning; nothing changed.');
  });
});
