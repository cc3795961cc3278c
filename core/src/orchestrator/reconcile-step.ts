// The reconciler's decision, apart from everything it acts on: what one app's desired state
// (its record) and observed state (Podman, the health monitor, the supervisor) call for next.
// Pure and total, so every combination is a table row in the spec. Any step can be run again:
// each is decided afresh from what is observed, never from what the previous one did.

/** What set the reconcile off. */
export type ReconcileTrigger =
  /** The daemon (re)started: interrupted installs roll back, everything else is brought in line. */
  | 'boot'
  /** A user's start or stop, which already wrote the desired state. */
  | 'user'
  /** The supervisor's timer (after a crash or a failed health check, and its backoff). */
  | 'supervisor'
  /** The periodic resync and a reconnect of Podman's event stream: catches what no event told. */
  | 'resync';

export interface Observation {
  phase: 'installing' | 'installed';
  desired: 'running' | 'stopped';
  /** A user operation or a version change owns the app right now. */
  inFlight: boolean;
  container: 'none' | 'stopped' | 'running';
  unhealthy: boolean;
  /** The supervisor gave up on it: only a user's start brings it back. */
  crashLoop: boolean;
  /** The supervisor has a restart scheduled (its backoff is running). */
  restartPending: boolean;
  /** The health monitor probes it (an app without a health check counts as watched). */
  watched: boolean;
}

export type ReconcileStep =
  | 'none'
  /** An install the daemon did not finish before it stopped. */
  | 'roll-back-install'
  /** Guard, create if missing, start, wait past the exit-at-once window. */
  | 'bring-up'
  /** Running but failing its health check: the supervisor's restart. */
  | 'restart'
  | 'stop'
  /** Running as it should, but nobody probes it (adopted at boot). */
  | 'watch'
  /** Down though it should run, with no restart on its way: a death no event reported. */
  | 'report-failure';

export function nextStep(observed: Observation, trigger: ReconcileTrigger): ReconcileStep {
  if (observed.phase === 'installing') return trigger === 'boot' ? 'roll-back-install' : 'none';
  if (observed.inFlight) return 'none';
  if (observed.desired === 'stopped') return observed.container === 'running' ? 'stop' : 'none';
  if (observed.crashLoop && trigger !== 'user') return 'none';
  if (observed.container === 'running') {
    if (observed.unhealthy && trigger === 'supervisor') return 'restart';
    return observed.watched ? 'none' : 'watch';
  }
  if (trigger === 'resync') return observed.restartPending ? 'none' : 'report-failure';
  return 'bring-up';
}
