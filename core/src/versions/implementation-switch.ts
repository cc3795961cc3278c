// The Bitcoin Core ⇄ Knots switch: the source app's datadir becomes the target app's (renamed,
// never copied or merged), its RPC secrets are copied, and only one of the two ever runs. The
// deciding (both are Bitcoin nodes, the target is not installed and has no data, nothing depends
// on the source, the version plan) is done first; then the steps, each announced in the journal:
//
//   stop-source → remove-source → move-data → create-target → start-target → commit
//                                                       (or, target not healthy: → restore)
//
// recovery-table.ts says what a crash at each step does.

import {
  RpcErrorCode,
  type SwitchImplementationRequest,
  type VersionChangePlanReport,
  type VersionChangeResult,
} from '../kernel/index.js';
import { applyBitcoinSettings } from '../bitcoin/chain-settings.js';
import {
  implementationName,
  planImplementationSwitch,
  type BitcoinImplementation,
} from '../bitcoin/index.js';
import { chooseCatalogVersion, type CatalogVersion } from '../catalog/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { AppRecord } from '../orchestrator/app-record.js';
import { toStatus, type AppRuntime } from '../orchestrator/app-runtime.js';
import { ArchyError, notFound } from '../kernel/index.js';
import type { AppEffects, AppRegistry } from './app-operations.js';
import type { IntentVersion, SwitchIntent } from './intent-journal.js';
import type { SwitchStep } from './step-names.js';
import { checked, quoted, versionOf, type VersionSteps, type VersionSwitchOptions } from './version-steps.js';
import { planReport, shown, type Planner } from './version-plan.js';

export class ImplementationSwitch {
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

  switchImplementation(params: SwitchImplementationRequest): Promise<VersionChangeResult> {
    const { from: fromId, to: toId } = params;
    return this.registry.onQueue(fromId, () =>
      this.registry.onQueue(toId, async () => {
        const { source, target, chosen, planWith } = await this.planner(params, 'for real');
        const plan = checked(planWith(params));
        const runImage = await this.effects.provideImage(
          { ...source, record: { ...source.record, id: toId }, manifest: target.manifest },
          chosen,
        );
        const from = versionOf(source.record);
        const to: IntentVersion = {
          id: toId,
          version: chosen.version,
          image: chosen.image,
          runImage,
          ...(chosen.digest !== undefined && { catalogDigest: chosen.digest }),
        };
        const { runtime, progress } = await this.runSwitch(source, target, from, to, plan.startArgs);
        return {
          status: toStatus(runtime),
          from,
          to,
          ...(plan.warning !== undefined && { warning: plan.warning }),
          ...(plan.startArgs.length > 0 && { startArgs: plan.startArgs }),
          ...(progress !== undefined && { progress }),
        };
      }),
    );
  }

  /** `package.plan-version-change` for a switch: what `switchImplementation(params)` would decide; changes nothing. */
  async planSwitch(params: SwitchImplementationRequest): Promise<VersionChangePlanReport> {
    const { source, target, chosen, planWith } = await this.planner(params, 'dry run');
    return planReport({
      op: 'switch-implementation',
      from: shown(versionOf(source.record), source.manifest.bitcoin?.implementation),
      to: { ...shown(chosen, target.manifest.bitcoin?.implementation, params.to), image: chosen.image },
      planWith,
      given: params,
    });
  }

  /**
   * Everything a switch checks before it touches anything (each refusal that no confirmation lifts
   * is thrown), and how it is decided for any confirmations. A dry run leaves even an empty data
   * dir of the target in place; the real switch removes it.
   */
  private async planner(
    params: SwitchImplementationRequest,
    mode: 'for real' | 'dry run',
  ): Promise<{
    source: AppRuntime;
    target: { manifest: AppManifest; yaml: string; file: string };
    chosen: CatalogVersion;
    planWith: Planner;
  }> {
    const { from: fromId, to: toId } = params;
    const source = this.registry.find(fromId);
    if (!source) throw notFound(fromId);
    const sourceBitcoin = source.manifest.bitcoin;
    if (!sourceBitcoin) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `'${fromId}' is not a Bitcoin node; only Core ⇄ Knots can be switched`,
      );
    }
    if (source.record.adopted) {
      // The switch renames DATA_DIR/apps/<from> to apps/<to>; adopted data is not in there.
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${fromId}' runs on data adopted in place (${Object.values(source.record.adopted.volumes).join(', ')}), ` +
          `which a switch cannot move; release it ('archy parmanode release ${fromId}') and adopt it again as ${toId}`,
      );
    }
    if (this.registry.find(toId)) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${toId}' is installed already; a switch moves ${fromId}'s datadir to a new install of ${toId}. Remove ${toId} first (its data is kept)`,
      );
    }
    const bundled = await this.registry.bundledManifest(toId);
    // The node keeps its chain and pruning across the switch: the same datadir, the same settings.
    const target = source.record.bitcoin
      ? { ...bundled, manifest: applyBitcoinSettings(bundled.manifest, source.record.bitcoin) }
      : bundled;
    const targetBitcoin = target.manifest.bitcoin;
    if (!targetBitcoin || targetBitcoin.implementation === sourceBitcoin.implementation) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `'${toId}' is not the other Bitcoin implementation than ${implementationName(sourceBitcoin.implementation)}; switch between bitcoin-core and bitcoin-knots`,
      );
    }
    // Apps that asked for the node by its interface follow it (rebound, recreated); one that
    // named this very app cannot be served by the other implementation.
    const dependents = this.registry
      .dependentsOf(fromId)
      .filter((id) => this.registry.find(id)?.manifest.dependencies.some((spec) => spec.id === fromId));
    if (dependents.length > 0) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `${dependents.join(', ')} name${dependents.length === 1 ? 's' : ''} ${fromId} itself as a dependency; remove ${dependents.length === 1 ? 'it' : 'them'} before switching, and install again afterwards`,
      );
    }
    await this.checkTargetDataDirFree(toId, mode);
    const entry = this.steps.catalogEntry(toId);
    const chosen = chooseCatalogVersion(entry, target.manifest.image, params.version);
    const facts = await this.options.bitcoinDatadirs.inspect(source.manifest, fromId);
    const planWith: Planner = (confirm) =>
      planImplementationSwitch({
        appId: toId,
        from: { implementation: sourceBitcoin.implementation, version: source.record.version },
        to: {
          implementation: targetBitcoin.implementation as BitcoinImplementation,
          version: chosen.version,
        },
        facts,
        ...(confirm.confirmSwitch !== undefined && { confirmSwitch: confirm.confirmSwitch }),
        ...(confirm.confirmDowngrade !== undefined && { confirmDowngrade: confirm.confirmDowngrade }),
        ...(confirm.confirmResync !== undefined && { confirmResync: confirm.confirmResync }),
      });
    return { source, target, chosen, planWith };
  }

  /** The target app's data dir must not exist yet, or hold nothing: a switch never merges or overwrites data. */
  private async checkTargetDataDirFree(toId: string, mode: 'for real' | 'dry run'): Promise<void> {
    const free =
      mode === 'for real'
        ? await this.effects.clearEmptyAppData(toId)
        : await this.effects.appDataEmpty(toId);
    if (free) return;
    const dir = this.effects.appDataDir(toId);
    throw new ArchyError(
      RpcErrorCode.Conflict,
      `${dir} holds data from an earlier install of ${toId}; a switch never overwrites data. Move it away (or 'archy remove ${toId} --purge --yes' if it is not needed) and try again`,
    );
  }

  private async runSwitch(
    source: AppRuntime,
    target: { manifest: AppManifest; yaml: string; file: string },
    from: IntentVersion,
    to: IntentVersion,
    startArgs: string[],
  ): Promise<{ runtime: AppRuntime; progress: string | undefined }> {
    const startedAt = new Date().toISOString();
    const intent: Omit<SwitchIntent, 'updatedAt' | 'startedAt' | 'step'> = {
      op: 'switch-implementation',
      app: to.id,
      from,
      to,
      ...(startArgs.length > 0 && { startArgs }),
    };
    const step = (name: SwitchStep) => this.steps.announce({ ...intent, step: name, startedAt });
    source.transition = 'stopping';
    this.registry.publish(source);

    // The conflict guard: the source is stopped (and told to stay stopped) before the target exists.
    await step('stop-source');
    source.record.desired = 'stopped';
    await this.registry.saveRecord(source.record);
    await this.effects.stopContainer(source);
    await step('remove-source');
    await this.effects.removeContainer(from.id);
    await step('move-data');
    await this.effects.moveAppData(from.id, to.id);
    await this.effects.copySecrets(from.id, to.id);
    await this.options.dependents?.rebind(from.id, to.id);
    await step('create-target');
    const record: AppRecord = {
      id: to.id,
      manifestYaml: target.yaml,
      manifestFile: target.file,
      version: to.version,
      image: to.image,
      ...(to.runImage !== undefined && { runImage: to.runImage }),
      ...(to.catalogDigest !== undefined && { catalogDigest: to.catalogDigest }),
      ...(source.record.bitcoin && { bitcoin: source.record.bitcoin }),
      phase: 'installed',
      desired: 'running',
      installedAt: new Date().toISOString(),
      // The data came from the source app: a rollback must move it back, never delete it.
      createdDataDir: false,
    };
    const runtime: AppRuntime = {
      record,
      manifest: target.manifest,
      transition: 'updating',
      restartCount: 0,
    };
    await this.registry.saveRecord(record);
    this.registry.adopt(runtime);
    this.registry.publish(runtime);
    const failure = await this.steps.bringUp(runtime, startArgs, () => step('start-target'));
    if (failure === undefined) {
      await step('commit');
      // Off the source's network before finish removes it; their logins are in the target already.
      const followed = (await this.options.dependents?.reattach(to.id)) ?? [];
      if (followed.length > 0)
        this.options.log('info', { to: to.id, dependents: followed }, 'dependents follow');
      await this.finish(from.id, runtime);
      await this.steps.dropFirstStartArgs(runtime);
      const progress = await this.steps.afterReindex(runtime, startArgs);
      runtime.transition = undefined;
      this.registry.publish(runtime);
      await this.options.journal.clear(to.id);
      this.options.log('info', { from: from.id, to: to.id, version: to.version }, 'switched implementation');
      return { runtime, progress };
    }
    const output = await this.steps.exitOutput(runtime, startArgs);
    await step('restore');
    await this.options.dependents?.rebind(to.id, from.id);
    await this.undo(from.id, to.id);
    await this.options.journal.clear(to.id);
    const restored = this.registry.find(from.id);
    if (restored) {
      restored.transition = undefined;
      await this.steps.markRestored(restored);
      await this.effects.createContainer(restored, []);
      await this.effects.startContainer(restored);
      this.registry.publish(restored);
    }
    throw new ArchyError(
      RpcErrorCode.StartFailed,
      `${to.id} ${to.version} did not become healthy (${failure}); ${from.id} ${from.version} was restored with the same data.${quoted(`Last log lines of ${to.id}`, output)}`,
      { data: { logs: output.lines, restored: from.id } },
    );
  }

  /** The source app is gone for good: its record, network and Podman secrets; its data lives on under the target. */
  async finish(fromId: string, target: AppRuntime): Promise<void> {
    await this.registry.deleteRecord(fromId);
    await this.effects.removeContainer(fromId);
    await this.effects.removeNetwork(fromId);
    await this.effects.removePodmanSecrets(fromId);
    this.registry.forget(fromId);
    await this.registry.saveRecord(target.record);
    await this.registry.writeDefaultAppConfig(target.record.id);
    await this.steps.writeMarker(target);
  }

  /** Target out, data back under the source, source wanted running again. Safe to run twice. */
  async undo(fromId: string, toId: string): Promise<void> {
    const target = this.registry.find(toId);
    if (target) await this.effects.stopContainer(target).catch(() => undefined);
    await this.effects.removeContainer(toId);
    await this.effects.removeNetwork(toId);
    await this.effects.removePodmanSecrets(toId);
    await this.registry.deleteRecord(toId);
    this.registry.forget(toId);
    await moveDataBack(this.effects, fromId, toId);
    const source = this.registry.find(fromId);
    if (source) {
      source.record.desired = 'running';
      await this.registry.saveRecord(source.record);
    }
  }
}

/** The data under the target goes back to the source — unless it is there already (a move never overwrites). */
export async function moveDataBack(ops: AppEffects, fromId: string, toId: string): Promise<void> {
  if ((await ops.hasAppData(toId)) && !(await ops.hasAppData(fromId))) await ops.moveAppData(toId, fromId);
}
