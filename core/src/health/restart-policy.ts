import { backoffDelay } from '../util/backoff.js';

/** How the supervisor answers a crashed or unhealthy app. */
export interface RestartPolicyOptions {
  /**
   * Delay before the second restart in the window; doubles after that. The first restart is
   * immediate: one crash is most often just that, and every millisecond is downtime.
   */
  initialDelayMs: number;
  maxDelayMs: number;
  /** This many failures within `windowMs` make a crash loop: the supervisor stops trying. */
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  initialDelayMs: 500,
  maxDelayMs: 60_000,
  maxFailures: 5,
  windowMs: 5 * 60_000,
};

export type RestartDecision =
  { action: 'restart'; delayMs: number; attempt: number } | { action: 'give-up'; failures: number };

/**
 * Exponential backoff with crash-loop detection, per app. Pure: the caller passes the clock,
 * so the whole schedule is unit-tested without waiting.
 */
export class RestartPolicy {
  private failures: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** Records a failure at `now` and says what to do about it. */
  onFailure(now: number): RestartDecision {
    this.failures = this.failures.filter((at) => now - at < this.options.windowMs);
    this.failures.push(now);
    const count = this.failures.length;
    if (count >= this.options.maxFailures) return { action: 'give-up', failures: count };
    const delayMs =
      count === 1
        ? 0
        : backoffDelay({ initialMs: this.options.initialDelayMs, maxMs: this.options.maxDelayMs }, count - 2);
    return { action: 'restart', delayMs, attempt: count };
  }

  /** A user's start or restart: the app gets a fresh budget. */
  reset(): void {
    this.failures = [];
  }
}
