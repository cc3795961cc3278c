// set-version and update: a controlled recreate of one app at another version of the same image
// repository, keeping its data dir, secrets, ports and container name. The deciding (catalog
// choice, the Bitcoin version plan from the datadir's evidence) is done before anything is
// touched; then the steps run, each announced in the intent journal first:
//
//   stop-old → remove-old → create-new → start-new → commit        (or, not healthy: → restore)
//
// recovery-table.ts says what a crash at each step does.

import {
  RpcErrorCode,
  type SetVersionRequest,
  type VersionChangePlanReport,
  type VersionChangeResult,
} from '../kernel/index.js';
import { planVersionChange } from '../bitcoin/index.js';
import { availableUpdate, chooseCatalogVersion } from '../catalog/index.js';
import { toStatus, type AppRuntime } from '../orchestrator/app-runtime.js';
import type { ChangeActor } from '../orchestrator/lifecycle.js';
import { compareAppVersions, parseAppVersion } from '../resolver/index.js';
import { ArchyError, notFound } from '../kernel/index.js';
import type { AppEffects, AppRegistry } from './app-operations.js';
import type { IntentVersion, SetVersionIntent } from './intent-journal.js';
import type { SetVersionStep } from './step-names.js';
import {
  planReport,
  samePlan,
  shown,
  type Confirmations,
  type DecidedChange,
  type Planner,
} from './version-plan.js';
import {
  applyVersion,
  checked,
  quoted,
  versionOf,
  type PlannedChange,
  type VersionSteps,
  type VersionSwitchOptions,
} from './version-steps.js';

export class SetVersion {
  constructor(
    private readonly options: VersionSwitchOptions,
    private readonly steps: VersionSteps,
  ) {}

  private get registry(): AppRegistry {
    return this.options.registry;
  }

  private get effects(): AppEffects {
    return this.options.effects;
  }

  setVersion(params: SetVersionRequest, actor: ChangeActor = 'user'): Promise<VersionChangeResult> {
    const { id } = params;
    return this.registry.onQueue(id, async () => {
      const runtime = this.registry.find(id);
      if (!runtime) throw notFound(id);
      const entry = this.steps.catalogEntry(id);
      const target = chooseCatalogVersion(entry, runtime.manifest.image, params.version);
      const from = versionOf(runtime.record);
      if (target.version === from.version) {
        return { status: toStatus(runtime), from, to: from };
      }
      const plan = await this.planChange(runtime, target.version, params);
      this.options.log(
        'info',
        { app: id, from: from.version, to: target.version, actor },
        'changing version',
      );
      const messageBefore = runtime.message;
      runtime.transition = 'updating';
      runtime.message = plan.warning;
      this.registry.publish(runtime);
      try {
        let runImage: string;
        try {
          runImage = await this.effects.provideImage(runtime, target);
        } catch (error) {
          // Nothing was touched yet: the app is as it was, and must not keep saying "upgrading".
          runtime.message = messageBefore;
          throw error;
        }
        const to: IntentVersion = {
          id,
          version: target.version,
          image: target.image,
          runImage,
          ...(target.digest !== undefined && { catalogDigest: target.digest }),
        };
        const progress = await this.recreateAt(runtime, from, to, plan.startArgs);
        runtime.message = undefined;
        runtime.transition = undefined;
        return {
          status: toStatus(runtime),
          from,
          to,
          ...(plan.warning !== undefined && { warning: plan.warning }),
          ...(plan.startArgs.length > 0 && { startArgs: plan.startArgs }),
          ...(progress !== undefined && { progress }),
        };
      } finally {
        runtime.transition = undefined;
        this.registry.publish(runtime);
      }
    });
  }

  /** set-version to the catalog default, when it is newer than what runs and the app is not pinned. */
  async update(id: string, actor: ChangeActor = 'user'): Promise<VersionChangeResult> {
    const runtime = this.registry.find(id);
    if (!runtime) throw notFound(id);
    const config = await this.options.configs.get(id);
    const entry = this.steps.catalogEntry(id);
    if (config.pinnedVersion !== undefined) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${id}' is pinned to ${config.pinnedVersion}, so it is not updated; unpin it first with 'archy config ${id} --unpin'`,
      );
    }
    const update = availableUpdate({
      installedVersion: runtime.record.version,
      catalogEntry: entry,
      ...(runtime.manifest.bitcoin && { implementation: runtime.manifest.bitcoin.implementation }),
    });
    if (!update) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${id}' ${runtime.record.version} is up to date: the catalog's default is ${entry.version}`,
      );
    }
    return this.setVersion({ id, version: update.version }, actor);
  }

  /** The Bitcoin version plan (or, for other apps, a plain downgrade confirmation). Throws a refusal. */
  private async planChange(
    runtime: AppRuntime,
    toVersion: string,
    confirm: Confirmations,
  ): Promise<PlannedChange> {
    return checked((await this.planner(runtime, toVersion))(confirm));
  }

  /**
   * How a change of `runtime` to `toVersion` is decided, for any confirmations: the datadir is read
   * once, then the plan is pure — so the dry run can ask what each confirmation would change.
   */
  private async planner(runtime: AppRuntime, toVersion: string): Promise<Planner> {
    const { manifest, record } = runtime;
    if (manifest.bitcoin) {
      const implementation = manifest.bitcoin.implementation;
      const facts = await this.options.bitcoinDatadirs.inspect(runtime.manifest, record.id);
      return (confirm) =>
        planVersionChange({
          implementation,
          appId: record.id,
          from: record.version,
          to: toVersion,
          facts,
          ...(confirm.confirmDowngrade !== undefined && { confirmDowngrade: confirm.confirmDowngrade }),
          ...(confirm.confirmResync !== undefined && { confirmResync: confirm.confirmResync }),
        });
    }
    const comparable =
      parseAppVersion(toVersion) !== undefined && parseAppVersion(record.version) !== undefined;
    const order = comparable ? compareAppVersions(toVersion, record.version) : undefined;
    const kind: DecidedChange['kind'] =
      order === undefined ? 'unknown' : order < 0 ? 'downgrade' : order > 0 ? 'upgrade' : 'same';
    return (confirm): DecidedChange => {
      const plan = { kind, startArgs: [], rules: [] };
      if (kind !== 'downgrade') return { ...plan, allowed: true, needs: 'nothing' };
      const warning = `downgrading ${record.id} ${record.version} → ${toVersion}: the older version may not read data the newer one wrote`;
      return confirm.confirmDowngrade
        ? { ...plan, allowed: true, needs: 'confirmation', warning }
        : {
            ...plan,
            allowed: false,
            needs: 'confirmation',
            warning,
            refusal: `${warning}; confirm with --confirm-downgrade`,
          };
    };
  }

  /**
   * `package.plan-version-change` for a set-version: what `setVersion(params)` would decide, as a
   * report; nothing is changed. An unknown app or version is the same error as the real call's.
   */
  async planSetVersion(params: SetVersionRequest): Promise<VersionChangePlanReport> {
    const runtime = this.registry.find(params.id);
    if (!runtime) throw notFound(params.id);
    const target = chooseCatalogVersion(
      this.steps.catalogEntry(params.id),
      runtime.manifest.image,
      params.version,
    );
    const implementation = runtime.manifest.bitcoin?.implementation;
    const from = shown(versionOf(runtime.record), implementation);
    const to = { ...shown(target, implementation, params.id), image: target.image };
    if (target.version === from.version) return samePlan(from, to);
    return planReport({
      op: 'set-version',
      from,
      to,
      planWith: await this.planner(runtime, target.version),
      given: params,
    });
  }

  /** The steps of a set-version on the app's queue; restores `from` if `to` does not come up. */
  private async recreateAt(
    runtime: AppRuntime,
    from: IntentVersion,
    to: IntentVersion,
    startArgs: string[],
  ): Promise<string | undefined> {
    const id = runtime.record.id;
    const intent: Omit<SetVersionIntent, 'updatedAt' | 'startedAt' | 'step'> = {
      op: 'set-version',
      app: id,
      from,
      to,
      ...(startArgs.length > 0 && { startArgs }),
    };
    const startedAt = new Date().toISOString();
    const step = (name: SetVersionStep) => this.steps.announce({ ...intent, step: name, startedAt });

    await step('stop-old');
    await this.effects.stopContainer(runtime);
    await step('remove-old');
    await this.effects.removeContainer(id);
    await step('create-new');
    applyVersion(runtime.record, to);
    await this.registry.saveRecord(runtime.record);
    const failure = await this.steps.bringUp(runtime, startArgs, () => step('start-new'));
    if (failure === undefined) {
      await step('commit');
      await this.steps.commit(runtime);
      await this.steps.dropFirstStartArgs(runtime);
      await this.options.journal.clear(id);
      this.options.log('info', { app: id, version: to.version }, 'version changed');
      return this.steps.afterReindex(runtime, startArgs);
    }
    const output = await this.steps.exitOutput(runtime, startArgs);
    await step('restore');
    await this.steps.restore(runtime, from);
    await this.options.journal.clear(id);
    throw new ArchyError(
      RpcErrorCode.StartFailed,
      `${id} ${to.version} did not become healthy (${failure}); ${from.version} was restored with the same data.${quoted(`Last log lines of ${to.version}`, output)}`,
      { data: { logs: output.lines, restored: from.version } },
    );
  }
}
