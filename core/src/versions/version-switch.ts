// Version changes of an installed app, as the orchestrator and version-control.ts call them:
// set-version and update (set-version.ts), the Bitcoin Core ⇄ Knots switch
// (implementation-switch.ts), and their crash recovery at boot (recovery.ts, deciding by
// recovery-table.ts). Each change is a controlled recreate that keeps the data dir, secrets,
// ports and container name; the daemon's bookkeeping and every effect go through the two halves of app-operations.ts.

import type {
  SetVersionRequest,
  SwitchImplementationRequest,
  VersionChangePlanReport,
  VersionChangeResult,
} from '../kernel/index.js';
import type { AppRecord } from '../orchestrator/app-record.js';
import type { AppRuntime } from '../orchestrator/app-runtime.js';
import type { ChangeActor } from '../orchestrator/lifecycle.js';
import { ImplementationSwitch } from './implementation-switch.js';
import type { Intent } from './intent-journal.js';
import { VersionRecovery } from './recovery.js';
import { SetVersion } from './set-version.js';
import { VersionSteps, type VersionSwitchOptions } from './version-steps.js';

export type { AppOperations } from './app-operations.js';
export type { VersionSwitchOptions } from './version-steps.js';

export class VersionSwitch {
  private readonly versions: SetVersion;
  private readonly switcher: ImplementationSwitch;
  private readonly recovery: VersionRecovery;

  constructor(options: VersionSwitchOptions) {
    const steps = new VersionSteps(options);
    this.versions = new SetVersion(options, steps);
    this.switcher = new ImplementationSwitch(options, steps);
    this.recovery = new VersionRecovery(options, steps, this.switcher);
  }

  setVersion(params: SetVersionRequest, actor: ChangeActor = 'user'): Promise<VersionChangeResult> {
    return this.versions.setVersion(params, actor);
  }

  /** set-version to the catalog default, when it is newer than what runs and the app is not pinned. */
  update(id: string, actor: ChangeActor = 'user'): Promise<VersionChangeResult> {
    return this.versions.update(id, actor);
  }

  switchImplementation(params: SwitchImplementationRequest): Promise<VersionChangeResult> {
    return this.switcher.switchImplementation(params);
  }

  /** `package.plan-version-change` for a set-version: what it would decide; changes nothing. */
  planSetVersion(params: SetVersionRequest): Promise<VersionChangePlanReport> {
    return this.versions.planSetVersion(params);
  }

  /** `package.plan-version-change` for a switch: what it would decide; changes nothing. */
  planSwitch(params: SwitchImplementationRequest): Promise<VersionChangePlanReport> {
    return this.switcher.planSwitch(params);
  }

  /** At boot, before the records are loaded: settles interrupted switches. */
  recoverSwitches(records: { load(id: string): Promise<AppRecord | undefined> }): Promise<void> {
    return this.recovery.recoverSwitches(records);
  }

  /** At boot, once every app is back: finishes or undoes a switch rolled forward. */
  settleRecoveredSwitch(target: AppRuntime, intent: Intent): Promise<void> {
    return this.recovery.settleRecoveredSwitch(target, intent);
  }

  /** At boot, before the reconcile brings up `record`'s app: the side of an interrupted set-version. */
  recoverBefore(record: AppRecord): Promise<Intent | undefined> {
    return this.recovery.recoverBefore(record);
  }

  /** At boot, after the reconcile started a version rolled forward: keep it if healthy, else restore. */
  recoverAfter(runtime: AppRuntime, intent: Intent): Promise<void> {
    return this.recovery.recoverAfter(runtime, intent);
  }
}
