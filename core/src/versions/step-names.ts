// The steps of each multi-step operation, in the order they run: the names the intent journal
// records (and ARCHY_TEST_PAUSE_AT stops at). One list per operation, so a step's name is typed
// where it is announced, stored and recovered; what a crash at each step means is in
// recovery-table.ts, which the compiler makes cover every name here.

export const INTENT_OPS = ['install', 'set-version', 'switch-implementation'] as const;
export type IntentOp = (typeof INTENT_OPS)[number];

export const STEPS = {
  // The install's own record phase carries its recovery; the journal only says one is in flight.
  install: ['create'],
  'set-version': ['stop-old', 'remove-old', 'create-new', 'start-new', 'commit', 'restore'],
  // `verify` is written only by recovery: a switch rolled forward at boot, target not yet seen healthy.
  'switch-implementation': [
    'stop-source',
    'remove-source',
    'move-data',
    'create-target',
    'start-target',
    'commit',
    'verify',
    'restore',
  ],
} as const satisfies Record<IntentOp, readonly string[]>;

export type StepOf<Op extends IntentOp> = (typeof STEPS)[Op][number];
export type InstallStep = StepOf<'install'>;
export type SetVersionStep = StepOf<'set-version'>;
export type SwitchStep = StepOf<'switch-implementation'>;
