import type { ProbeResult } from '../kernel/index.js';
import { HealthTracker } from './health-tracker.js';
import { runProbe, type ProbeSpec, type ProbeTarget } from './probe.js';

export interface HealthCheck extends ProbeSpec {
  interval: number;
  startPeriod: number;
  retries: number;
}

const FIRST_PROBE_DELAY_MS = 500;

interface Watched {
  check: HealthCheck;
  target: ProbeTarget;
  tracker: HealthTracker;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

/**
 * Probes each watched app on its own interval and reports status changes. It only decides and
 * reports: acting on an unhealthy app (restart) is the orchestrator's job, through its queue.
 */
export class HealthMonitor {
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly onChange: (id: string, tracker: HealthTracker, result: ProbeResult) => void) {}

  /** Starts (or restarts) probing an app whose container just started. */
  watch(id: string, check: HealthCheck, target: ProbeTarget, tracker: HealthTracker): void {
    this.unwatch(id);
    tracker.reset(Date.now());
    const entry: Watched = { check, target, tracker, stopped: false };
    this.watched.set(id, entry);
    // Probe soon after a start rather than a whole interval later, so a fast app shows healthy
    // within a second of starting (or of being adopted after a daemon restart).
    this.schedule(id, entry, Math.min(FIRST_PROBE_DELAY_MS, check.interval));
  }

  unwatch(id: string): void {
    const entry = this.watched.get(id);
    if (!entry) return;
    entry.stopped = true;
    if (entry.timer) clearTimeout(entry.timer);
    this.watched.delete(id);
  }

  isWatching(id: string): boolean {
    return this.watched.has(id);
  }

  /** Probes now, outside the schedule (used while waiting for an app to become ready). */
  async probeNow(id: string): Promise<ProbeResult | undefined> {
    const entry = this.watched.get(id);
    if (!entry) return undefined;
    return this.probe(id, entry);
  }

  stopAll(): void {
    for (const id of [...this.watched.keys()]) this.unwatch(id);
  }

  private schedule(id: string, entry: Watched, delay: number): void {
    entry.timer = setTimeout(() => {
      void this.probe(id, entry).finally(() => {
        if (!entry.stopped) this.schedule(id, entry, entry.check.interval);
      });
    }, delay);
    // Probing alone must not keep the process alive at shutdown.
    entry.timer.unref();
  }

  private async probe(id: string, entry: Watched): Promise<ProbeResult> {
    const result = await runProbe(entry.check, entry.target);
    if (entry.stopped) return result;
    const changed = entry.tracker.record(result, Date.now());
    if (changed) this.onChange(id, entry.tracker, result);
    return result;
  }
}
