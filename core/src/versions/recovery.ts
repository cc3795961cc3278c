// Crash recovery of version changes, at daemon start. The decision for each interrupted change —
// roll back or roll forward — is the recovery table's (recovery-table.ts); this carries it out:
//
// - recoverSwitches (before the records are loaded) settles interrupted switches, which add and
//   delete records, so the boot reconcile sees one consistent set of apps;
// - recoverBefore (per app, before the reconcile brings it up) puts the record on the side of an
//   interrupted set-version the table chose, and removes a container of the other side;
// - after the reconcile started a version rolled forward, recoverAfter (set-version) and
//   settleRecoveredSwitch (switch) keep it if it becomes healthy and restore the previous one if not.

import type { AppRecord } from '../orchestrator/app-record.js';
import type { AppRuntime } from '../orchestrator/app-runtime.js';
import { manifestOfRecord } from '../orchestrator/manifest-of-record.js';
import type { AppEffects, AppRegistry } from './app-operations.js';
import { moveDataBack, type ImplementationSwitch } from './implementation-switch.js';
import type { Intent } from './intent-journal.js';
import { rollsForward } from './recovery-table.js';
import { applyVersion, quoted, type VersionSteps, type VersionSwitchOptions } from './version-steps.js';

export class VersionRecovery {
  constructor(
    private readonly options: VersionSwitchOptions,
    private readonly steps: VersionSteps,
    private readonly switcher: ImplementationSwitch,
  ) {}

  private get registry(): AppRegistry {
    return this.options.registry;
  }

  private get effects(): AppEffects {
    return this.options.effects;
  }

  /**
   * At boot, before the records are loaded: settles interrupted switches (which add and delete
   * records), so the reconcile sees one consistent set of apps.
   */
  async recoverSwitches(records: { load(id: string): Promise<AppRecord | undefined> }): Promise<void> {
    for (const intent of await this.options.journal.loadAll()) {
      if (intent.op !== 'switch-implementation') continue;
      const fromId = intent.from.id;
      const toId = intent.to.id;
      const forward = rollsForward(intent);
      this.options.log(
        'warn',
        { from: fromId, to: toId, step: intent.step },
        forward ? 'finishing an interrupted switch' : 'rolling back an interrupted switch',
      );
      // Without the target's record there is nothing to roll forward to.
      const rollForward = forward && (await records.load(toId)) !== undefined;
      if (rollForward) {
        // The source stays recorded (stopped: it was told so before its container went) until the
        // target proves healthy; settleRecoveredSwitch then finishes or undoes the switch.
        await this.effects.removeContainer(fromId);
      } else {
        await this.effects.removeContainer(toId);
        await this.effects.removeNetwork(toId);
        await this.registry.deleteRecord(toId);
        await moveDataBack(this.effects, fromId, toId);
        const source = await records.load(fromId);
        if (source) {
          source.desired = 'running';
          await this.registry.saveRecord(source);
          if (intent.step === 'restore') await this.markRestoredRecord(source);
        }
      }
      // The target's marker is written once it is seen healthy (settleRecoveredSwitch) — or never.
      if (rollForward) await this.options.journal.write({ ...intent, step: 'verify' });
      else await this.options.journal.clear(toId);
    }
  }

  /**
   * After the reconcile started the target of a switch rolled forward at boot (and every other app
   * is back, the source among them): if the target becomes healthy the switch is finished; if not,
   * it is undone as a failed switch is — target removed, data renamed back, the source's container
   * recreated and started — and the source's status says why.
   */
  settleRecoveredSwitch(target: AppRuntime, intent: Intent): Promise<void> {
    if (intent.op !== 'switch-implementation') return Promise.resolve();
    const { from, to } = intent;
    return this.registry.onQueue(from.id, () =>
      this.registry.onQueue(to.id, async () => {
        target.transition = 'updating';
        this.registry.publish(target);
        const healthy = target.container?.running
          ? await this.effects.waitUntilHealthy(target)
          : ({ ok: false, why: 'it is not running' } as const);
        target.transition = undefined;
        const source = this.registry.find(from.id);
        if (healthy.ok) {
          await this.switcher.finish(from.id, target);
          await this.steps.dropFirstStartArgs(target);
          await this.options.journal.clear(to.id);
          this.options.log('info', { from: from.id, to: to.id }, 'finished an interrupted switch');
          this.registry.publish(target);
          return;
        }
        if (!source) {
          // Nothing left to go back to (should not happen: the source record stays until here).
          target.message = `${to.id} ${to.version} did not become healthy after a restart (${healthy.why}), and ${from.id} cannot be restored: its record is gone`;
          await this.options.journal.clear(to.id);
          this.options.log('error', { from: from.id, to: to.id, why: healthy.why }, target.message);
          this.registry.publish(target);
          return;
        }
        const output = await this.steps.exitOutput(target, intent.startArgs ?? []);
        await this.options.journal.write({ ...intent, step: 'restore' });
        await this.switcher.undo(from.id, to.id);
        await this.options.journal.clear(to.id);
        source.transition = undefined;
        await this.steps.markRestored(source);
        await this.effects.createContainer(source, []);
        await this.effects.startContainer(source);
        source.message = `the switch to ${to.id} ${to.version} was interrupted by a daemon restart and ${to.id} then did not become healthy (${healthy.why}); ${from.id} ${from.version} was restored with the same data.${quoted(`Last log lines of ${to.id}`, output)}`;
        this.options.log(
          'warn',
          { from: from.id, to: to.id, why: healthy.why },
          'an interrupted switch did not become healthy; restored the previous implementation',
        );
        this.registry.publish(source);
      }),
    );
  }

  /**
   * Before the reconcile brings up `record`'s app: puts the record on the side of an interrupted
   * set-version the recovery will take, and removes a container of the other side. Returns the
   * intent when the change rolls forward (the caller then runs recoverAfter / settleRecoveredSwitch).
   */
  async recoverBefore(record: AppRecord): Promise<Intent | undefined> {
    const intent = await this.options.journal.get(record.id);
    if (!intent) return undefined;
    switch (intent.op) {
      case 'install':
        // The install's own record phase decides (an `installing` record is rolled back).
        await this.options.journal.clear(record.id);
        return undefined;
      case 'switch-implementation':
        // A switch rolled forward at boot (recoverSwitches): the reconcile brings the target up as it is.
        return intent.step === 'verify' ? intent : undefined;
      case 'set-version': {
        const forward = rollsForward(intent);
        const side = forward ? intent.to : intent.from;
        this.options.log(
          'warn',
          { app: record.id, step: intent.step, version: side.version },
          forward ? 'finishing an interrupted version change' : 'rolling back an interrupted version change',
        );
        applyVersion(record, side);
        await this.registry.saveRecord(record);
        if (intent.step === 'restore') await this.markRestoredRecord(record);
        const running = await this.effects.containerVersion(record.id);
        if (running !== undefined && running !== side.version) await this.effects.removeContainer(record.id);
        if (!forward) {
          await this.options.journal.clear(record.id);
          return undefined;
        }
        return intent;
      }
    }
  }

  /** After the reconcile started the new version: marker if healthy, else back to the old one. */
  async recoverAfter(runtime: AppRuntime, intent: Intent): Promise<void> {
    const id = runtime.record.id;
    const healthy = runtime.container?.running
      ? await this.effects.waitUntilHealthy(runtime)
      : ({ ok: false, why: 'it is not running' } as const);
    if (healthy.ok) {
      await this.steps.commit(runtime);
      await this.steps.dropFirstStartArgs(runtime);
    } else if (
      intent.op === 'set-version' &&
      intent.from.version !== intent.to.version &&
      intent.from.id === id
    ) {
      const output = await this.steps.exitOutput(runtime, intent.startArgs ?? []);
      await this.options.journal.write({ ...intent, step: 'restore' });
      await this.steps.restore(runtime, intent.from);
      runtime.message = `${id} ${intent.to.version} did not become healthy after a restart (${healthy.why}); ${intent.from.version} was restored.${quoted('Last log lines', output)}`;
    }
    await this.options.journal.clear(id);
  }

  /**
   * A daemon killed while restoring (step `restore`: the new version ran here and failed) finishes
   * the restore at boot: the old version is marked as the daemon's restore before the reconcile
   * starts it, as the live restore does — else the guard takes the failed version's banner in
   * debug.log for a downgrade and leaves the node down, asking for a reindex. Found by the SIGKILL matrix.
   */
  private async markRestoredRecord(record: AppRecord): Promise<void> {
    let manifest;
    try {
      manifest = manifestOfRecord(record);
    } catch (error) {
      this.options.log('warn', { app: record.id, err: error }, 'could not mark the restored version');
      return;
    }
    await this.steps.markRestored({ record, manifest, restartCount: 0 });
  }
}
