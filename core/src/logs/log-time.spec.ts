import { describe, expect, it } from 'vitest';
import { normaliseLogTime, resolveLogTime } from './log-time.js';

describe('normaliseLogTime', () => {
  it('brings ISO times to UTC with nine fraction digits', () => {
    expect(normaliseLogTime('2026-12-06T10:00:00Z')).toBe('2026-12-06T10:00:00.000000000Z');
    expect(normaliseLogTime('2026-12-06T11:00:00.123+01:00')).toBe('2026-12-06T10:00:00.123000000Z');
    expect(normaliseLogTime('2026-12-06T10:00:00.123456789Z')).toBe('2026-12-06T10:00:00.123456789Z');
  });

  it('refuses a time without a zone or no time at all', () => {
    expect(() => normaliseLogTime('2026-12-06T10:00:00')).toThrow(/not an ISO time/);
    expect(() => normaliseLogTime('yesterday')).toThrow(/not an ISO time/);
  });
});

describe('resolveLogTime', () => {
  const now = new Date('2026-12-06T10:00:00.000Z');
  it('turns a duration into the time that long before now', () => {
    expect(resolveLogTime('10m', now)).toBe('2026-12-06T09:50:00.000Z');
    expect(resolveLogTime('2h', now)).toBe('2026-12-06T08:00:00.000Z');
    expect(resolveLogTime('1d', now)).toBe('2026-12-05T10:00:00.000Z');
  });

  it('passes an ISO time on, and says what it expects otherwise', () => {
    expect(resolveLogTime('2026-12-06T10:00:00Z', now)).toBe('2026-12-06T10:00:00.000000000Z');
    expect(() => resolveLogTime('10 minutes', now)).toThrow(/duration such as 10m/);
  });
});
