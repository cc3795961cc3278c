import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from '../health/index.js';

export interface SupervisorActions {
  /** Brings the app back through its queue; the reconciler re-checks that it still should. */
  restart(id: string): Promise<void>;
  /** Marks the app as crash-looping: the supervisor has stopped trying. */
  giveUp(id: string, failures: number, why: string): void;
  /** Tells the user what is happening ("restarting in 2 s, attempt 3"). */
  note(id: string, message: string): void;
}

/**
 * How long the daemon leaves a crashed container to Podman's own restart (its restart policy, see
 * container-spec.ts) before it restarts it itself. Podman announces its restart with a `restart` event
 * right behind the `died` one (tens of ms); without one (exit 0, `podman kill`) the daemon acts.
 */
export const PODMAN_RESTART_GRACE_MS = 750;

/** What the daemon makes of Podman restarting a container on its own. */
export type PodmanRestartVerdict =
  /** The immediate restart the daemon wanted anyway: Podman's is counted as the daemon's. */
  | 'accept'
  /** The app is in backoff or given up: the container must be stopped again until the daemon says. */
  | 'hold'
  /** No failure is pending (the daemon never saw it die): nothing to decide. */
  | 'ignore';

interface Pending {
  timer: NodeJS.Timeout;
  /** The first restart in the window: Podman's own restart is as good as the daemon's. */
  immediate: boolean;
}

/**
 * Decides when a crashed or unhealthy app is restarted: exponential backoff per app, and a
 * crash loop after too many failures in a window. It only decides and schedules; the
 * orchestrator acts, on the app's queue, so a user's stop always wins over a pending restart.
 */
export class Supervisor {
  private readonly policies = new Map<string, RestartPolicy>();
  private readonly pending = new Map<string, Pending>();
  private readonly gaveUp = new Set<string>();

  constructor(
    private readonly actions: SupervisorActions,
    private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY,
  ) {}

  /**
   * The app died or turned unhealthy while it should be running. `podmanMayRestart`: a death
   * Podman's restart policy may answer itself, so an immediate restart waits a moment for it.
   */
  failed(id: string, why: string, options: { podmanMayRestart?: boolean } = {}): void {
    if (this.pending.has(id)) return; // a restart is already on its way
    let policy = this.policies.get(id);
    if (!policy) {
      policy = new RestartPolicy(this.options);
      this.policies.set(id, policy);
    }
    const decision = policy.onFailure(Date.now());
    if (decision.action === 'give-up') {
      this.gaveUp.add(id);
      this.actions.giveUp(id, decision.failures, why);
      return;
    }
    const seconds = (decision.delayMs / 1000).toFixed(decision.delayMs < 1000 ? 1 : 0);
    this.actions.note(id, `${why}; restarting in ${seconds} s (attempt ${decision.attempt})`);
    const immediate = decision.delayMs === 0;
    const wait = immediate && options.podmanMayRestart ? PODMAN_RESTART_GRACE_MS : decision.delayMs;
    const timer = setTimeout(() => {
      this.pending.delete(id);
      void this.actions.restart(id);
    }, wait);
    timer.unref();
    this.pending.set(id, { timer, immediate });
  }

  /** Podman is restarting the app's container on its own (its restart policy). */
  podmanRestarted(id: string): PodmanRestartVerdict {
    if (this.gaveUp.has(id)) return 'hold';
    const pending = this.pending.get(id);
    if (!pending) return 'ignore';
    if (!pending.immediate) return 'hold';
    clearTimeout(pending.timer);
    this.pending.delete(id);
    return 'accept';
  }

  /** A user acted (start, stop, restart, remove): drop any pending restart and start afresh. */
  reset(id: string): void {
    const pending = this.pending.get(id);
    if (pending) clearTimeout(pending.timer);
    this.pending.delete(id);
    this.policies.delete(id);
    this.gaveUp.delete(id);
  }

  /** True while a restart of the app is scheduled. */
  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /** True while the app is to stay down: a backoff is running, or the supervisor gave up. */
  isHolding(id: string): boolean {
    const pending = this.pending.get(id);
    return this.gaveUp.has(id) || (pending !== undefined && !pending.immediate);
  }

  stopAll(): void {
    for (const id of [...this.pending.keys()]) this.reset(id);
  }
}
