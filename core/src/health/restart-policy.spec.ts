import { describe, expect, it } from 'vitest';
import { RestartPolicy } from './restart-policy.js';

const options = { initialDelayMs: 500, maxDelayMs: 4_000, maxFailures: 5, windowMs: 60_000 };

describe('RestartPolicy', () => {
  it('restarts at once the first time, then backs off exponentially up to the cap', () => {
    const policy = new RestartPolicy({ ...options, maxFailures: 10 });
    const delays = [0, 1, 2, 3, 4, 5].map((i) => policy.onFailure(i * 1000));
    expect(delays.map((d) => (d.action === 'restart' ? d.delayMs : -1))).toEqual([
      0, 500, 1000, 2000, 4000, 4000,
    ]);
  });

  it('gives up after maxFailures within the window: a crash loop', () => {
    const policy = new RestartPolicy(options);
    for (let i = 0; i < 4; i += 1) expect(policy.onFailure(i * 1000).action).toBe('restart');
    expect(policy.onFailure(5000)).toEqual({ action: 'give-up', failures: 5 });
  });

  it('forgets failures older than the window', () => {
    const policy = new RestartPolicy(options);
    for (let i = 0; i < 4; i += 1) policy.onFailure(i * 1000);
    // Long after: only this failure is in the window, so the delay starts over.
    expect(policy.onFailure(10 * 60_000)).toEqual({ action: 'restart', delayMs: 0, attempt: 1 });
  });

  it('starts over after a reset (a user started the app)', () => {
    const policy = new RestartPolicy(options);
    for (let i = 0; i < 4; i += 1) policy.onFailure(i);
    policy.reset();
    expect(policy.onFailure(10)).toEqual({ action: 'restart', delayMs: 0, attempt: 1 });
  });
});
