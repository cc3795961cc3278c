export { VersionSwitch, type VersionSwitchOptions } from './version-switch.js';
export type { AppEffects, AppOperations, AppRegistry } from './app-operations.js';
export { AppVersionControl, type VersionControlOptions } from './version-control.js';
export { displayVersion } from './display-version.js';
export { IntentJournal, type Intent, type IntentInput, type IntentVersion } from './intent-journal.js';
export { INTENT_OPS, STEPS, type IntentOp, type StepOf } from './step-names.js';
export { RECOVERY_TABLE, ruleOf, rollsForward, type Recovery, type StepRule } from './recovery-table.js';
