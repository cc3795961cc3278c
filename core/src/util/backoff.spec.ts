import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const options = { initialMs: 250, maxMs: 10_000 };
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(options, n))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 10_000,
    ]);
  });

  it('stays at the cap for any number of retries (no overflow to Infinity or NaN)', () => {
    expect(backoffDelay({ initialMs: 1, maxMs: 60_000 }, 5000)).toBe(60_000);
  });

  it('is a fixed interval with factor 1', () => {
    expect([0, 5, 50].map((n) => backoffDelay({ initialMs: 250, maxMs: 250, factor: 1 }, n))).toEqual([
      250, 250, 250,
    ]);
  });

  it('refuses a negative or fractional retry', () => {
    expect(() => backoffDelay({ initialMs: 1, maxMs: 2 }, -1)).toThrow(RangeError);
    expect(() => backoffDelay({ initialMs: 1, maxMs: 2 }, 0.5)).toThrow(RangeError);
  });
});

describe('Backoff', () => {
  it('counts retries and starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000 });
    expect([backoff.next(), backoff.next(), backoff.peek(), backoff.next()]).toEqual([100, 200, 400, 400]);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});
