import { describe, expect, it } from 'vitest';
import { HealthTracker } from './health-tracker.js';

const probe = (ok: boolean, at = 0) => ({
  at: new Date(at).toISOString(),
  ok,
  detail: ok ? 'ok' : 'refused',
  durationMs: 1,
});

describe('HealthTracker', () => {
  it('is starting until the first success, then healthy', () => {
    const tracker = new HealthTracker({ startPeriod: 30_000, retries: 3 }, 0);
    expect(tracker.status).toBe('starting');
    expect(tracker.record(probe(false), 1_000)).toBe(false);
    expect(tracker.status).toBe('starting');
    expect(tracker.record(probe(true), 2_000)).toBe(true);
    expect(tracker.status).toBe('healthy');
    expect(tracker.since).toBe(new Date(2_000).toISOString());
  });

  it('forgives failures during the start period, counts them after', () => {
    const tracker = new HealthTracker({ startPeriod: 10_000, retries: 2 }, 0);
    for (let t = 1_000; t < 10_000; t += 1_000) tracker.record(probe(false), t);
    expect(tracker.status).toBe('starting');
    tracker.record(probe(false), 11_000);
    expect(tracker.status).toBe('starting');
    tracker.record(probe(false), 12_000);
    expect(tracker.status).toBe('unhealthy');
  });

  it('turns unhealthy only after `retries` consecutive failures, and recovers on success', () => {
    const tracker = new HealthTracker({ startPeriod: 0, retries: 3 }, 0);
    tracker.record(probe(true), 1);
    tracker.record(probe(false), 2);
    tracker.record(probe(false), 3);
    tracker.record(probe(true), 4);
    tracker.record(probe(false), 5);
    tracker.record(probe(false), 6);
    expect(tracker.status).toBe('healthy');
    tracker.record(probe(false), 7);
    expect(tracker.status).toBe('unhealthy');
    tracker.record(probe(true), 8);
    expect(tracker.status).toBe('healthy');
  });

  it('keeps the newest probes first and bounded', () => {
    const tracker = new HealthTracker({ startPeriod: 0, retries: 3 }, 0);
    for (let i = 0; i < 50; i += 1) tracker.record(probe(i % 2 === 0, i), i);
    expect(tracker.probes).toHaveLength(20);
    expect(tracker.probes[0]?.at).toBe(new Date(49).toISOString());
  });

  it('starts over on reset', () => {
    const tracker = new HealthTracker({ startPeriod: 0, retries: 1 }, 0);
    tracker.record(probe(false), 1);
    expect(tracker.status).toBe('unhealthy');
    tracker.reset(5);
    expect(tracker.status).toBe('starting');
  });

  it('keeps the last sync a probe reported, through later failures', () => {
    const tracker = new HealthTracker({ startPeriod: 0, retries: 3 }, 0);
    expect(tracker.lastSync).toBeUndefined();
    const sync = {
      chain: 'main',
      blocks: 10,
      headers: 20,
      verificationProgress: 0.5,
      initialBlockDownload: true,
      pruned: false,
    };
    tracker.record({ ...probe(true, 1_000), sync }, 1_000);
    tracker.record(probe(false, 2_000), 2_000);
    expect(tracker.lastSync).toEqual({ ...sync, at: new Date(1_000).toISOString() });
  });
});
