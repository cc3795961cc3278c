import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PODMAN_RESTART_GRACE_MS, Supervisor } from './supervisor.js';

describe('Supervisor and Podman’s fast restart', () => {
  const restarted: string[] = [];
  const gaveUp: string[] = [];
  let supervisor: Supervisor;
  beforeEach(() => {
    vi.useFakeTimers();
    restarted.length = 0;
    gaveUp.length = 0;
    supervisor = new Supervisor(
      {
        restart: async (id) => void restarted.push(id),
        giveUp: (id) => void gaveUp.push(id),
        note: () => undefined,
      },
      { initialDelayMs: 500, maxDelayMs: 60_000, maxFailures: 3, windowMs: 60_000 },
    );
  });
  afterEach(() => {
    supervisor.stopAll();
    vi.useRealTimers();
  });

  it('leaves the first restart in a window to Podman, and restarts itself when Podman does not', () => {
    supervisor.failed('a', 'exited', { podmanMayRestart: true });
    expect(supervisor.podmanRestarted('a')).toBe('accept');
    vi.advanceTimersByTime(PODMAN_RESTART_GRACE_MS * 2);
    expect(restarted).toEqual([]);

    supervisor.reset('a');
    supervisor.failed('a', 'exited with status 0', { podmanMayRestart: true });
    vi.advanceTimersByTime(PODMAN_RESTART_GRACE_MS - 1);
    expect(restarted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(restarted).toEqual(['a']);
  });

  it('holds back a restart Podman makes during a backoff, and after giving up', () => {
    supervisor.failed('b', 'exited', { podmanMayRestart: true });
    expect(supervisor.podmanRestarted('b')).toBe('accept');
    supervisor.failed('b', 'exited', { podmanMayRestart: true });
    expect(supervisor.isHolding('b')).toBe(true);
    expect(supervisor.podmanRestarted('b')).toBe('hold');
    vi.advanceTimersByTime(500);
    expect(restarted).toEqual(['b']);
    supervisor.failed('b', 'exited', { podmanMayRestart: true });
    expect(gaveUp).toEqual(['b']);
    expect(supervisor.podmanRestarted('b')).toBe('hold');
    supervisor.reset('b');
    expect(supervisor.isHolding('b')).toBe(false);
    expect(supervisor.podmanRestarted('b')).toBe('ignore');
  });

  it('an unhealthy app is the daemon’s to restart at once (Podman restarts only exits)', () => {
    supervisor.failed('c', 'unhealthy');
    vi.advanceTimersByTime(0);
    expect(restarted).toEqual(['c']);
  });
});
