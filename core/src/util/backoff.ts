// The one backoff schedule: how long to wait before retry number n. Every retry loop in the
// code base (the supervisor's restarts, the Podman event stream's reconnects, the pipeline's
// download retries, the CLI waiting for a daemon that is still starting) asks this module, so
// a change of policy is made once and every loop's schedule is unit-tested without waiting.

export interface BackoffOptions {
  /** The delay of the first retry (retry 0). */
  initialMs: number;
  /** No delay is ever longer than this. */
  maxMs: number;
  /** Each retry waits this many times the one before (default 2; 1 is a fixed interval). */
  factor?: number;
}

/** The delay before retry `retry` (0-based): initialMs·factor^retry, capped at maxMs. */
export function backoffDelay(options: BackoffOptions, retry: number): number {
  const factor = options.factor ?? 2;
  if (retry < 0 || !Number.isInteger(retry))
    throw new RangeError(`retry must be a whole number ≥ 0, not ${retry}`);
  // factor^retry overflows to Infinity for large retries; Math.min caps it all the same.
  return Math.min(options.maxMs, options.initialMs * factor ** retry);
}

/**
 * A retry loop's running schedule: `next()` gives the delay before the coming retry and counts
 * it, `reset()` starts over (after a success: the next failure is a first one again).
 */
export class Backoff {
  private retry = 0;

  constructor(private readonly options: BackoffOptions) {}

  next(): number {
    return backoffDelay(this.options, this.retry++);
  }

  /** The delay the coming `next()` will return, without counting a retry. */
  peek(): number {
    return backoffDelay(this.options, this.retry);
  }

  reset(): void {
    this.retry = 0;
  }
}
