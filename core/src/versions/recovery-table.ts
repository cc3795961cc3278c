// What a daemon killed at each step of a version change does at its next start: one table,
// operation × step → roll back or roll forward, with what the step means. Recovery (recovery.ts)
// reads its decisions from here, the README prints it, and the specs test one case per row.
//
// The rule behind it: before the new version could have run, roll back — the record says the old
// version again, a container of the new one is removed, data moves back, and the boot reconcile
// starts the old version on untouched data. Once the new version may have started, roll forward —
// it may already have upgraded the databases, so going back could be a downgrade; the reconcile
// starts it, and the old version is restored only if the new one does not become healthy.

import type { IntentOp, StepOf } from './step-names.js';

export type Recovery = 'roll-back' | 'roll-forward';

export interface StepRule {
  recovery: Recovery;
  /** What is about to happen when the journal names this step. */
  means: string;
}

export const RECOVERY_TABLE: { readonly [Op in IntentOp]: { readonly [S in StepOf<Op>]: StepRule } } = {
  install: {
    create: {
      recovery: 'roll-back',
      means:
        'record saved as installing; ports, data dirs, image, network and container follow (an install the record still calls installing is removed)',
    },
  },
  'set-version': {
    'stop-old': { recovery: 'roll-back', means: 'the old container is stopped' },
    'remove-old': { recovery: 'roll-back', means: 'the old container is removed' },
    'create-new': {
      recovery: 'roll-back',
      means: 'the record names the new version and its container is created',
    },
    'start-new': {
      recovery: 'roll-forward',
      means: 'the new version starts (it may upgrade the data) and is waited on until healthy',
    },
    commit: {
      recovery: 'roll-forward',
      means: 'the new version was healthy: its marker is written, one-time start arguments dropped',
    },
    restore: {
      recovery: 'roll-back',
      means: 'the new version did not become healthy: the old one is recreated on the same data',
    },
  },
  'switch-implementation': {
    'stop-source': {
      recovery: 'roll-back',
      means: 'the source is recorded as stopped and its container stopped',
    },
    'remove-source': { recovery: 'roll-back', means: "the source's container is removed" },
    'move-data': {
      recovery: 'roll-back',
      means: "the data dir is renamed to the target's and the RPC secrets copied",
    },
    'create-target': {
      recovery: 'roll-back',
      means: "the target's record is written and its container created",
    },
    'start-target': {
      recovery: 'roll-forward',
      means: 'the target starts (it may upgrade the data) and is waited on until healthy',
    },
    commit: {
      recovery: 'roll-forward',
      means: "the target was healthy: the source's record, network and secrets go, the marker is written",
    },
    verify: {
      recovery: 'roll-forward',
      means:
        'rolled forward at boot: the source stays recorded (stopped) until the target is seen healthy, else the switch is undone',
    },
    restore: {
      recovery: 'roll-back',
      means: 'the target did not become healthy: it is removed, the data renamed back, the source started',
    },
  },
};

/** The rule for the step an intent names. */
export function ruleOf<Op extends IntentOp>(intent: { op: Op; step: StepOf<Op> }): StepRule {
  const rules = RECOVERY_TABLE[intent.op] as Record<StepOf<Op>, StepRule>;
  return rules[intent.step];
}

export function rollsForward<Op extends IntentOp>(intent: { op: Op; step: StepOf<Op> }): boolean {
  return ruleOf(intent).recovery === 'roll-forward';
}
