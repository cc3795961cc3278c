// What an app's lifecycle state means for dependencies and conflicts. Two questions, answered
// differently on purpose: a `stopping` app still has a process up (so it still conflicts), but it
// is not active (it needs no stop, so it doesn't block stopping what it depends on).

import type { AppState } from '../kernel/index.js';

/** Down and staying down: neither running nor about to run. `failed` waits for the user. */
export const isDown = (state: AppState): boolean => state === 'stopped' || state === 'failed';

/**
 * A process is up, or the daemon is bringing one up (installing, starting, updating, restarting a
 * crash loop): such an app blocks a conflicting app from starting.
 */
export const occupiesRuntime = (state: AppState): boolean => !isDown(state);

/**
 * Up or meant to be up, and not on its way down: stopping its dependency means stopping it first,
 * and among several installed providers of an interface, an active one is preferred.
 */
export const isActive = (state: AppState): boolean => !isDown(state) && state !== 'stopping';

/**
 * Needs an explicit start to run: down, or in a crash loop the monitor has given up on. Apps
 * starting, installing or updating come up by themselves; the plan only waits for them.
 */
export const needsStart = (state: AppState): boolean => isDown(state) || state === 'crash-loop';
