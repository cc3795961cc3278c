import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../../util/backoff.js';

// Slows password guessing for real. Each failed attempt is answered only after a delay that
// doubles with the client's recent failures (1 s, 2 s, 4 s ... capped), and a client may have one
// attempt in flight at a time, so the delay cannot be side-stepped by firing guesses in parallel.
// After a few failures in the window the client is refused outright (429 + Retry-After) until the
// oldest failure ages out. The same counting runs across all clients, with higher thresholds, so
// many addresses cannot add up to fast guessing either — at the price that a large distributed
// attack also locks the owner out of the web UI for a while (the CLI's token still works).

export interface LoginThrottleOptions {
  now?: () => number;
  /** Delay after the first failure; doubled for each further one. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a failure counts against a client and against everyone. */
  windowMs?: number;
  /** Failures in the window after which a client is refused until the oldest ages out. */
  maxFailuresPerClient?: number;
  /** Failures in the window, across all clients, before everyone's answers are delayed too. */
  globalFailuresBeforeDelay?: number;
  /** Failures in the window, across all clients, after which every login is refused. */
  maxFailuresGlobal?: number;
  /** Password checks (scrypt: 32 MiB each) allowed to run at once; more are refused, not queued. */
  maxConcurrentChecks?: number;
  /** Bound on remembered clients, so rotating addresses cannot grow memory without limit. */
  maxTrackedClients?: number;
  /**
   * Clients never forgotten to make room (the onion bucket): otherwise rotating LAN addresses
   * could push out the record that holds back every guess over Tor.
   */
  keptClients?: readonly string[];
}

export const DEFAULT_LOGIN_THROTTLE: Required<Omit<LoginThrottleOptions, 'now'>> = {
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  windowMs: 15 * 60 * 1000,
  maxFailuresPerClient: 5,
  globalFailuresBeforeDelay: 20,
  maxFailuresGlobal: 200,
  maxConcurrentChecks: 4,
  maxTrackedClients: 10_000,
  keptClients: [],
};

export type ThrottledAttempt =
  | { outcome: 'success' }
  /** The check said no; the answer was already held back by the failure delay. */
  | { outcome: 'failure' }
  /** Not even tried: answer 429 with Retry-After. */
  | { outcome: 'refused'; retryAfterSeconds: number; reason: string };

interface ClientRecord {
  /** Times of recent failures, oldest first. */
  failures: number[];
  inFlight: boolean;
  /** While in flight: when the pending answer is due, for Retry-After. */
  busyUntil: number;
}

export class LoginThrottle {
  readonly #options: Required<Omit<LoginThrottleOptions, 'now'>>;
  readonly #now: () => number;
  readonly #clients = new Map<string, ClientRecord>();
  #globalFailures: number[] = [];
  #checksRunning = 0;

  constructor(options: LoginThrottleOptions = {}) {
    const { now, ...rest } = options;
    this.#now = now ?? Date.now;
    this.#options = { ...DEFAULT_LOGIN_THROTTLE, ...rest };
  }

  /**
   * Runs `check` (the password comparison) for `clientKey` if the throttle allows it now, and holds
   * a failure's answer back by the client's current delay before returning.
   */
  async attempt(clientKey: string, check: () => Promise<boolean>): Promise<ThrottledAttempt> {
    const refusal = this.#refusal(clientKey);
    if (refusal) return refusal;

    const client = this.#client(clientKey);
    client.inFlight = true;
    this.#checksRunning++;
    let checkRunning = true;
    try {
      const ok = await check();
      this.#checksRunning--;
      checkRunning = false;
      if (ok) {
        // The owner got in: forget this client's mistakes. The global count stays: an attack
        // elsewhere goes on regardless.
        this.#clients.delete(clientKey);
        return { outcome: 'success' };
      }
      const delayMs = this.#recordFailure(client);
      client.busyUntil = this.#now() + delayMs;
      await sleep(delayMs);
      return { outcome: 'failure' };
    } finally {
      if (checkRunning) this.#checksRunning--;
      client.inFlight = false;
    }
  }

  #refusal(clientKey: string): ThrottledAttempt | undefined {
    const now = this.#now();
    const { windowMs, maxFailuresPerClient, maxFailuresGlobal, maxConcurrentChecks } = this.#options;
    this.#globalFailures = recent(this.#globalFailures, now, windowMs);
    if (this.#globalFailures.length >= maxFailuresGlobal) {
      return refused(
        this.#globalFailures[0]! + windowMs - now,
        'too many failed logins on this node recently; web login is paused — retry later, or use the archy CLI on the node meanwhile',
      );
    }
    const client = this.#clients.get(clientKey);
    if (client) {
      if (client.inFlight) {
        return refused(
          client.busyUntil - now,
          'a login from this address is still being answered; wait for it',
        );
      }
      client.failures = recent(client.failures, now, windowMs);
      if (client.failures.length >= maxFailuresPerClient) {
        return refused(
          client.failures[0]! + windowMs - now,
          `too many failed logins from this address (${client.failures.length} in ${Math.round(windowMs / 60_000)} min); retry later`,
        );
      }
    }
    if (this.#checksRunning >= maxConcurrentChecks) {
      return refused(1000, 'too many logins are being checked right now; retry in a moment');
    }
    return undefined;
  }

  #client(clientKey: string): ClientRecord {
    let client = this.#clients.get(clientKey);
    if (!client) {
      this.#forgetClientsBeyondLimit();
      client = { failures: [], inFlight: false, busyUntil: 0 };
      this.#clients.set(clientKey, client);
    }
    return client;
  }

  /** Returns how long to hold back this failure's answer. */
  #recordFailure(client: ClientRecord): number {
    const now = this.#now();
    const { baseDelayMs, maxDelayMs, windowMs, globalFailuresBeforeDelay } = this.#options;
    client.failures = [...recent(client.failures, now, windowMs), now];
    this.#globalFailures = [...recent(this.#globalFailures, now, windowMs), now];
    const clientDelay = doubling(baseDelayMs, client.failures.length, maxDelayMs);
    const globalDelay = doubling(
      baseDelayMs,
      this.#globalFailures.length - globalFailuresBeforeDelay,
      maxDelayMs,
    );
    return Math.max(clientDelay, globalDelay);
  }

  #forgetClientsBeyondLimit(): void {
    if (this.#clients.size < this.#options.maxTrackedClients) return;
    const now = this.#now();
    for (const [key, client] of this.#clients) {
      if (!client.inFlight && recent(client.failures, now, this.#options.windowMs).length === 0) {
        this.#clients.delete(key);
      }
    }
    // Still full: drop the longest-known clients. The global count still limits them.
    for (const [key, client] of this.#clients) {
      if (this.#clients.size < this.#options.maxTrackedClients) break;
      if (!client.inFlight && !this.#options.keptClients.includes(key)) this.#clients.delete(key);
    }
  }
}

/** base, 2·base, 4·base ... for the 1st, 2nd, 3rd ... failure; 0 before the first. */
function doubling(baseMs: number, count: number, capMs: number): number {
  if (count <= 0) return 0;
  return backoffDelay({ initialMs: baseMs, maxMs: capMs }, count - 1);
}

function recent(times: number[], now: number, windowMs: number): number[] {
  return times.filter((time) => now - time < windowMs);
}

function refused(retryAfterMs: number, reason: string): ThrottledAttempt {
  return { outcome: 'refused', retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)), reason };
}
