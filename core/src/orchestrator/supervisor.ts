import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from '../health/index.js';

export interface SupervisorActions {
  /** Restarts the app through its queue; the orchestrator re-checks that it still should. */
  restart(id: string): Promise<void>;
  /** Marks the app as crash-looping: the supervisor has stopped trying. */
  giveUp(id: string, failures: number, why: string): void;
  /** Tells the user what is happening ("restarting in 2 s, attempt 3"). */
  note(id: string, message: string): void;
}

/**
 * Decides when a crashed or unhealthy app is restarted: exponential backoff per app, and a
 * crash loop after too many failures in a window. It only decides and schedules; the
 * orchestrator acts, on the app's queue, so a user's stop always wins over a pending restart.
 */
export class Supervisor {
  private readonly policies = new Map<string, RestartPolicy>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly actions: SupervisorActions,
    private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY,
  ) {}

  /** The app died or turned unhealthy while it should be running. */
  failed(id: string, why: string): void {
    if (this.timers.has(id)) return; // a restart is already on its way
    let policy = this.policies.get(id);
    if (!policy) {
      policy = new RestartPolicy(this.options);
      this.policies.set(id, policy);
    }
    const decision = policy.onFailure(Date.now());
    if (decision.action === 'give-up') {
      this.actions.giveUp(id, decision.failures, why);
      return;
    }
    const seconds = (decision.delayMs / 1000).toFixed(decision.delayMs < 1000 ? 1 : 0);
    this.actions.note(id, `${why}; restarting in ${seconds} s (attempt ${decision.attempt})`);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      void this.actions.restart(id);
    }, decision.delayMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  /** A user acted (start, stop, restart, remove): drop any pending restart and start afresh. */
  reset(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
    this.policies.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.timers.keys()]) this.reset(id);
  }
}
