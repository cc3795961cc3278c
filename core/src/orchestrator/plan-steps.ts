import type { ActivationPlan } from '../resolver/index.js';

/** What to do for one app of a plan: the resolver's install and start steps, merged. */
export interface AppSteps {
  id: string;
  install: boolean;
  start: boolean;
  /** Dependencies to wait for before this app starts. */
  waitFor: Array<{ id: string; requires: 'running' | 'healthy' }>;
}

/**
 * Groups a plan's steps by app, in the order each app first appears (dependencies first).
 * The orchestrator installs and starts an app in one go, which keeps the resolver's order:
 * an app's own start comes after its dependencies' steps and before its dependents'.
 */
export function stepsByApp(plan: ActivationPlan): AppSteps[] {
  const byId = new Map<string, AppSteps>();
  for (const step of plan.steps) {
    let entry = byId.get(step.id);
    if (!entry) {
      entry = { id: step.id, install: false, start: false, waitFor: [] };
      byId.set(step.id, entry);
    }
    if (step.action === 'install') entry.install = true;
    else {
      entry.start = true;
      entry.waitFor.push(...step.waitFor);
    }
  }
  return [...byId.values()];
}
