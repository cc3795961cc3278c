import type { ChainSync, HealthStatus, ProbeResult } from '../kernel/index.js';

export interface HealthPolicy {
  /** Failures inside this window after a start don't count against the app. */
  startPeriod: number;
  /** Consecutive failures that make a started app unhealthy. */
  retries: number;
}

const KEPT_PROBES = 20;

/**
 * Turns a stream of probe results into a health status, the way Docker/Podman healthchecks
 * do: `starting` until the first success (failures in the start period are forgiven),
 * `unhealthy` after `retries` consecutive failures, `healthy` on any success. Pure: the caller
 * supplies the clock, so it is unit-testable.
 */
export class HealthTracker {
  private statusValue: HealthStatus = 'starting';
  private sinceValue: string;
  private consecutiveFailures = 0;
  private startedAtMs: number;
  private readonly recent: ProbeResult[] = [];
  private syncValue: (ChainSync & { at: string }) | undefined;

  constructor(
    private readonly policy: HealthPolicy,
    now: number,
  ) {
    this.startedAtMs = now;
    this.sinceValue = new Date(now).toISOString();
  }

  get status(): HealthStatus {
    return this.statusValue;
  }

  get since(): string {
    return this.sinceValue;
  }

  /** Newest first. */
  get probes(): ProbeResult[] {
    return [...this.recent];
  }

  /**
   * The sync a Bitcoin node last reported, kept when later probes fail: while the node restarts
   * or is busy, the last known progress (with its time) says more than nothing.
   */
  get lastSync(): (ChainSync & { at: string }) | undefined {
    return this.syncValue;
  }

  /** The container (re)started: health starts over. */
  reset(now: number): void {
    this.startedAtMs = now;
    this.consecutiveFailures = 0;
    this.set('starting', now);
  }

  /** Records a result; returns true when the status changed. */
  record(result: ProbeResult, now: number): boolean {
    this.recent.unshift(result);
    this.recent.length = Math.min(this.recent.length, KEPT_PROBES);
    if (result.sync) this.syncValue = { ...result.sync, at: result.at };
    const before = this.statusValue;
    if (result.ok) {
      this.consecutiveFailures = 0;
      this.set('healthy', now);
    } else {
      const inStartPeriod =
        this.statusValue === 'starting' && now - this.startedAtMs < this.policy.startPeriod;
      if (!inStartPeriod) {
        this.consecutiveFailures += 1;
        if (this.consecutiveFailures >= this.policy.retries) this.set('unhealthy', now);
      }
    }
    return before !== this.statusValue;
  }

  private set(status: HealthStatus, now: number): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    this.sinceValue = new Date(now).toISOString();
  }
}
