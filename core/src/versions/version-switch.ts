// Version changes of an installed app: set-version, update, and the Bitcoin Core ⇄ Knots switch —
// each a controlled recreate that keeps the data dir, secrets, ports and container name.
//
// The deciding is done before anything is touched (catalog choice, same-repository check, the
// Bitcoin version plan from the datadir's evidence); then the steps run, each announced in the
// intent journal first:
//
//   set-version:  stop-old → remove-old → create-new → start-new → commit   (or → restore)
//   switch:       stop-source → remove-source → move-data → create-target → start-target → commit
//
// What a daemon killed at a step does at its next start (recoverBefore/recoverAfter):
// - before the new version could have run (…-old, create-…, move-data, restore): roll back — the
//   record says the old version again, a container of the new one is removed, data moves back,
//   and the normal reconcile starts the old version on untouched data;
// - once the new version may have started (start-…, commit): roll forward — it may already have
//   upgraded the databases, so going back could be a downgrade; the reconcile starts it, and if it
//   becomes healthy the marker is written, else the previous version is restored. A switch rolled
//   forward keeps the source app's record (stopped) until the target is seen healthy (step
//   `verify`), so that it can still be restored: data moved back, source container recreated.

import { lstat, rename, readdir, rmdir } from 'node:fs/promises';
import { RpcErrorCode, type AppStatus, type RpcMethods, type VersionChangeResult } from '../api/contract.js';
import {
  implementationName,
  planImplementationSwitch,
  planVersionChange,
  type BitcoinImplementation,
  type VersionChangePlan,
} from '../bitcoin/index.js';
import { applyBitcoinSettings } from '../bitcoin/chain-settings.js';
import { describeSync } from '../health/bitcoin-sync.js';
import {
  availableUpdate,
  chooseCatalogVersion,
  type CatalogApp,
  type CatalogVersion,
} from '../catalog/index.js';
import type { AppManifest } from '../manifest/index.js';
import { compareAppVersions, parseAppVersion } from '../resolver/index.js';
import { ArchyError, notFound } from '../util/errors.js';
import type { AppConfigStore } from '../orchestrator/app-config.js';
import type { AppRecord } from '../orchestrator/app-record.js';
import { runKey, toStatus, type AppRuntime } from '../orchestrator/app-runtime.js';
import type { CatalogService } from '../orchestrator/catalog-service.js';
import type { BitcoinDatadirs } from '../orchestrator/bitcoin-datadir.js';
import { decisiveExitOutput, EXIT_OUTPUT_TAIL, type ExitOutput } from '../orchestrator/exit-output.js';
import type { Intent, IntentJournal, IntentVersion } from '../versions/intent-journal.js';
import type { ChangeActor } from '../orchestrator/lifecycle.js';
import type { PauseHook } from '../orchestrator/test-pause.js';
import { pathExists } from '../util/path-exists.js';

/** What the version switch needs from the orchestrator: its effects, never its decisions. */
export interface AppOperations {
  find(id: string): AppRuntime | undefined;
  onQueue<T>(id: string, task: () => Promise<T>): Promise<T>;
  saveRecord(record: AppRecord): Promise<void>;
  deleteRecord(id: string): Promise<void>;
  /** Registers a runtime for an app the switch creates (no planning, no conflict check: the switch is the guard). */
  adopt(runtime: AppRuntime): void;
  forget(id: string): void;
  publish(runtime: AppRuntime): void;
  /** Stops the container (if any), with the manifest's stop timeout, and stops probing it. */
  stopContainer(runtime: AppRuntime): Promise<void>;
  removeContainer(id: string): Promise<void>;
  removeNetwork(id: string): Promise<void>;
  /** Creates the container for what the record says now, with extra args for its first start. */
  createContainer(runtime: AppRuntime, extraArgs: readonly string[]): Promise<void>;
  /** The app was healthy: recreates its container without the first start's extra args, if it has them. */
  dropFirstStartArgs(runtime: AppRuntime): Promise<void>;
  startContainer(runtime: AppRuntime): Promise<void>;
  /** Waits until a probe passes (or, without a health check, the container stays up); bounded. */
  waitUntilHealthy(runtime: AppRuntime): Promise<{ ok: true } | { ok: false; why: string }>;
  lastLogs(id: string, lines: number): Promise<string[]>;
  /**
   * Makes the target version's image available — built here from its verified official release,
   * or verified (signature, the digest the signed catalog pins) and pulled; returns what to run.
   */
  provideImage(runtime: AppRuntime, target: CatalogVersion): Promise<string>;
  /** The version label of the app's current container, if one exists. */
  containerVersion(id: string): Promise<string | undefined>;
  bundledManifest(id: string): Promise<{ manifest: AppManifest; yaml: string; file: string }>;
  appDataDir(id: string): string;
  volumeDir(id: string, volume: string): string;
  /** Copies the app's stored secrets to another app id (the switch keeps the RPC credentials). */
  copySecrets(from: string, to: string): Promise<void>;
  removePodmanSecrets(id: string): Promise<void>;
  writeDefaultAppConfig(id: string): Promise<void>;
  /** Apps other than `id` that are bound to it as a dependency. */
  dependentsOf(id: string): string[];
}

export interface VersionSwitchOptions {
  ops: AppOperations;
  catalog: CatalogService;
  configs: AppConfigStore;
  journal: IntentJournal;
  bitcoinDatadirs: BitcoinDatadirs;
  pause: PauseHook;
  log: (level: 'info' | 'warn' | 'error', details: object, message: string) => void;
}

interface PlannedChange {
  warning?: string;
  startArgs: string[];
}

export class VersionSwitch {
  constructor(private readonly options: VersionSwitchOptions) {}

  private get ops(): AppOperations {
    return this.options.ops;
  }

  // ---- set-version / update -----------------------------------------------------------------

  setVersion(
    params: RpcMethods['package.set-version']['params'],
    actor: ChangeActor = 'user',
  ): Promise<VersionChangeResult> {
    const { id } = params;
    return this.ops.onQueue(id, async () => {
      const runtime = this.ops.find(id);
      if (!runtime) throw notFound(id);
      const entry = this.catalogEntry(id);
      const target = chooseCatalogVersion(entry, runtime.manifest.image, params.version);
      const from = versionOf(runtime.record);
      if (target.version === from.version) {
        return { status: await this.statusOf(runtime), from, to: from };
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
      this.ops.publish(runtime);
      try {
        let runImage: string;
        try {
          runImage = await this.ops.provideImage(runtime, target);
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
          status: await this.statusOf(runtime),
          from,
          to,
          ...(plan.warning !== undefined && { warning: plan.warning }),
          ...(plan.startArgs.length > 0 && { startArgs: plan.startArgs }),
          ...(progress !== undefined && { progress }),
        };
      } finally {
        runtime.transition = undefined;
        this.ops.publish(runtime);
      }
    });
  }

  /** set-version to the catalog default, when it is newer than what runs and the app is not pinned. */
  async update(id: string, actor: ChangeActor = 'user'): Promise<VersionChangeResult> {
    const runtime = this.ops.find(id);
    if (!runtime) throw notFound(id);
    const config = await this.options.configs.get(id);
    const entry = this.catalogEntry(id);
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

  private catalogEntry(id: string): CatalogApp {
    const entry = this.options.catalog.entry(id);
    if (!entry) {
      throw new ArchyError(
        RpcErrorCode.NotFound,
        `the catalog lists no versions of '${id}', so its version cannot be changed; see 'archy catalog'`,
      );
    }
    return entry;
  }

  /** The Bitcoin version plan (or, for other apps, a plain downgrade confirmation). Throws a refusal. */
  private async planChange(
    runtime: AppRuntime,
    toVersion: string,
    confirm: { confirmDowngrade?: boolean; confirmResync?: string },
  ): Promise<PlannedChange> {
    const { manifest, record } = runtime;
    if (manifest.bitcoin) {
      const plan = planVersionChange({
        implementation: manifest.bitcoin.implementation,
        appId: record.id,
        from: record.version,
        to: toVersion,
        facts: await this.options.bitcoinDatadirs.inspect(runtime.manifest, record.id),
        ...(confirm.confirmDowngrade !== undefined && { confirmDowngrade: confirm.confirmDowngrade }),
        ...(confirm.confirmResync !== undefined && { confirmResync: confirm.confirmResync }),
      });
      return checked(plan);
    }
    const downgrade =
      parseAppVersion(toVersion) && parseAppVersion(record.version)
        ? compareAppVersions(toVersion, record.version) < 0
        : false;
    if (downgrade && !confirm.confirmDowngrade) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `downgrading ${record.id} ${record.version} → ${toVersion}: the older version may not read data the newer one wrote; ` +
          `confirm with --confirm-downgrade`,
      );
    }
    return { startArgs: [] };
  }

  /** The steps of a set-version on the app's queue; restores `from` if `to` does not come up. */
  private async recreateAt(
    runtime: AppRuntime,
    from: IntentVersion,
    to: IntentVersion,
    startArgs: string[],
  ): Promise<string | undefined> {
    const id = runtime.record.id;
    const intent: Omit<Intent, 'updatedAt' | 'startedAt' | 'step'> = {
      op: 'set-version',
      app: id,
      from,
      to,
      ...(startArgs.length > 0 && { startArgs }),
    };
    const startedAt = new Date().toISOString();
    const step = async (name: string): Promise<void> => {
      await this.options.journal.write({ ...intent, step: name, startedAt });
      await this.options.pause(name, id);
    };

    await step('stop-old');
    await this.ops.stopContainer(runtime);
    await step('remove-old');
    await this.ops.removeContainer(id);
    await step('create-new');
    applyVersion(runtime.record, to);
    await this.ops.saveRecord(runtime.record);
    const failure = await this.bringUp(runtime, startArgs, () => step('start-new'));
    if (failure === undefined) {
      await step('commit');
      await this.commit(runtime);
      await this.dropFirstStartArgs(runtime);
      await this.options.journal.clear(id);
      this.options.log('info', { app: id, version: to.version }, 'version changed');
      return this.afterReindex(runtime, startArgs);
    }
    const output = await this.exitOutput(runtime, startArgs);
    await step('restore');
    await this.restore(runtime, from);
    await this.options.journal.clear(id);
    throw new ArchyError(
      RpcErrorCode.StartFailed,
      `${id} ${to.version} did not become healthy (${failure}); ${from.version} was restored with the same data.${quoted(`Last log lines of ${to.version}`, output)}`,
      { data: { logs: output.lines, restored: from.version } },
    );
  }

  /**
   * Creates and starts the new container and waits for it to become healthy; `beforeStart` marks
   * the journal step. Returns why it failed, or undefined when it is up: the caller rolls back.
   */
  private async bringUp(
    runtime: AppRuntime,
    startArgs: string[],
    beforeStart: () => Promise<void>,
  ): Promise<string | undefined> {
    try {
      await this.ops.createContainer(runtime, startArgs);
      await beforeStart();
      await this.ops.startContainer(runtime);
      const healthy = await this.ops.waitUntilHealthy(runtime);
      return healthy.ok ? undefined : healthy.why;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * The change itself succeeded; recreating without the one-time arguments is housekeeping. If it
   * fails, the change stands: the record keeps the arguments spent, so the next start (the user's,
   * or the reconcile's) creates the container without them.
   */
  private async dropFirstStartArgs(runtime: AppRuntime): Promise<void> {
    try {
      await this.ops.dropFirstStartArgs(runtime);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      runtime.message = `could not restart ${runtime.record.id} without its one-time start arguments: ${why}; 'archy restart ${runtime.record.id}' tries again`;
      this.options.log('warn', { app: runtime.record.id, err: error }, runtime.message);
    }
  }

  /**
   * After a change whose first start ran a one-time reindex: the container was just recreated
   * without it, so the answer waits until the node is healthy again and says whether bitcoind is
   * still rebuilding (it carries on from where it was), with its progress when the probe reports it.
   */
  private async afterReindex(runtime: AppRuntime, startArgs: readonly string[]): Promise<string | undefined> {
    const args = startArgs.filter((arg) => arg.startsWith('-reindex'));
    if (args.length === 0) return undefined;
    const id = runtime.record.id;
    const what = args.includes('-reindex') ? 'block index and chainstate' : 'chainstate';
    const healthy = await this.ops.waitUntilHealthy(runtime);
    if (!healthy.ok) {
      return (
        `${id} was started again without ${args.join(' ')} and has not answered healthy yet (${healthy.why}); ` +
        `bitcoind may still be rebuilding its ${what}: see 'archy status ${id}' and 'archy logs ${id}'`
      );
    }
    const sync = runtime.health?.lastSync;
    if (sync && sync.blocks < sync.headers) {
      return `${id} is healthy and still rebuilding its ${what} (${describeSync(sync)}); it carries on by itself`;
    }
    return `${id} is healthy again, started without ${args.join(' ')} from now on`;
  }

  /** After a successful start: the marker says which version ran, and the record is final. */
  private async commit(runtime: AppRuntime): Promise<void> {
    await this.ops.saveRecord(runtime.record);
    await this.writeMarker(runtime);
  }

  private async writeMarker(runtime: AppRuntime): Promise<void> {
    if (!runtime.manifest.bitcoin) return;
    await this.options.bitcoinDatadirs.markRan(runtime.manifest, runtime.record.id, runtime.record.version, {
      banner: true,
    });
    runtime.markedRun = runKey(runtime);
  }

  /**
   * The daemon restores a version over one that failed to come up: it accepts what the failed
   * start may have left (its banner in debug.log), so later starts of the restored version are not
   * taken for a downgrade. A marker that cannot be written is logged: the next start then asks.
   */
  private async markRestored(runtime: AppRuntime): Promise<void> {
    if (!runtime.manifest.bitcoin) return;
    try {
      await this.options.bitcoinDatadirs.markRan(
        runtime.manifest,
        runtime.record.id,
        runtime.record.version,
        {
          banner: false,
        },
      );
    } catch (error) {
      this.options.log('warn', { app: runtime.record.id, err: error }, 'could not mark the restored version');
    }
  }

  /** Back to `from` on the same data: stop and remove the new container, create and start the old. */
  private async restore(runtime: AppRuntime, from: IntentVersion): Promise<void> {
    const id = runtime.record.id;
    await this.ops.stopContainer(runtime).catch(() => undefined);
    await this.ops.removeContainer(id);
    applyVersion(runtime.record, from);
    await this.ops.saveRecord(runtime.record);
    await this.markRestored(runtime);
    await this.ops.createContainer(runtime, []);
    if (runtime.record.desired === 'running') await this.ops.startContainer(runtime);
  }

  // ---- Core ⇄ Knots -------------------------------------------------------------------------

  switchImplementation(
    params: RpcMethods['package.switch-implementation']['params'],
  ): Promise<VersionChangeResult> {
    const { from: fromId, to: toId } = params;
    return this.ops.onQueue(fromId, () =>
      this.ops.onQueue(toId, async () => {
        const source = this.ops.find(fromId);
        if (!source) throw notFound(fromId);
        const sourceBitcoin = source.manifest.bitcoin;
        if (!sourceBitcoin) {
          throw new ArchyError(
            RpcErrorCode.InvalidParams,
            `'${fromId}' is not a Bitcoin node; only Core ⇄ Knots can be switched`,
          );
        }
        if (this.ops.find(toId)) {
          throw new ArchyError(
            RpcErrorCode.Conflict,
            `'${toId}' is installed already; a switch moves ${fromId}'s datadir to a new install of ${toId}. Remove ${toId} first (its data is kept)`,
          );
        }
        const bundled = await this.ops.bundledManifest(toId);
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
        const dependents = this.ops.dependentsOf(fromId);
        if (dependents.length > 0) {
          throw new ArchyError(
            RpcErrorCode.Conflict,
            `${dependents.join(', ')} use${dependents.length === 1 ? 's' : ''} ${fromId}; remove ${dependents.length === 1 ? 'it' : 'them'} before switching, and install again afterwards`,
          );
        }
        await this.checkTargetDataDirFree(toId);
        const entry = this.catalogEntry(toId);
        const chosen = chooseCatalogVersion(entry, target.manifest.image, params.version);
        const plan = checked(
          planImplementationSwitch({
            appId: toId,
            from: { implementation: sourceBitcoin.implementation, version: source.record.version },
            to: {
              implementation: targetBitcoin.implementation as BitcoinImplementation,
              version: chosen.version,
            },
            facts: await this.options.bitcoinDatadirs.inspect(source.manifest, fromId),
            ...(params.confirmSwitch !== undefined && { confirmSwitch: params.confirmSwitch }),
            ...(params.confirmDowngrade !== undefined && { confirmDowngrade: params.confirmDowngrade }),
            ...(params.confirmResync !== undefined && { confirmResync: params.confirmResync }),
          }),
        );
        const runImage = await this.ops.provideImage(
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
          status: await this.statusOf(runtime),
          from,
          to,
          ...(plan.warning !== undefined && { warning: plan.warning }),
          ...(plan.startArgs.length > 0 && { startArgs: plan.startArgs }),
          ...(progress !== undefined && { progress }),
        };
      }),
    );
  }

  /** The target app's data dir must not exist yet, or hold nothing: a switch never merges or overwrites data. */
  private async checkTargetDataDirFree(toId: string): Promise<void> {
    const dir = this.ops.appDataDir(toId);
    if (await isEmptyTree(dir)) {
      await removeEmptyTree(dir);
      return;
    }
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
    const intent = {
      op: 'switch-implementation' as const,
      app: to.id,
      from,
      to,
      ...(startArgs.length > 0 && { startArgs }),
    };
    const step = async (name: string): Promise<void> => {
      await this.options.journal.write({ ...intent, step: name, startedAt });
      await this.options.pause(name, to.id);
    };
    source.transition = 'stopping';
    this.ops.publish(source);

    // The conflict guard: the source is stopped (and told to stay stopped) before the target exists.
    await step('stop-source');
    source.record.desired = 'stopped';
    await this.ops.saveRecord(source.record);
    await this.ops.stopContainer(source);
    await step('remove-source');
    await this.ops.removeContainer(from.id);
    await step('move-data');
    await rename(this.ops.appDataDir(from.id), this.ops.appDataDir(to.id));
    await this.ops.copySecrets(from.id, to.id);
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
    await this.ops.saveRecord(record);
    this.ops.adopt(runtime);
    this.ops.publish(runtime);
    const failure = await this.bringUp(runtime, startArgs, () => step('start-target'));
    if (failure === undefined) {
      await step('commit');
      await this.finishSwitch(from.id, runtime);
      await this.dropFirstStartArgs(runtime);
      const progress = await this.afterReindex(runtime, startArgs);
      runtime.transition = undefined;
      this.ops.publish(runtime);
      await this.options.journal.clear(to.id);
      this.options.log('info', { from: from.id, to: to.id, version: to.version }, 'switched implementation');
      return { runtime, progress };
    }
    const output = await this.exitOutput(runtime, startArgs);
    await step('restore');
    await this.undoSwitch(from.id, to.id);
    await this.options.journal.clear(to.id);
    const restored = this.ops.find(from.id);
    if (restored) {
      restored.transition = undefined;
      await this.markRestored(restored);
      await this.ops.createContainer(restored, []);
      await this.ops.startContainer(restored);
      this.ops.publish(restored);
    }
    throw new ArchyError(
      RpcErrorCode.StartFailed,
      `${to.id} ${to.version} did not become healthy (${failure}); ${from.id} ${from.version} was restored with the same data.${quoted(`Last log lines of ${to.id}`, output)}`,
      { data: { logs: output.lines, restored: from.id } },
    );
  }

  /** The source app is gone for good: its record, network and Podman secrets; its data lives on under the target. */
  private async finishSwitch(fromId: string, target: AppRuntime): Promise<void> {
    await this.ops.deleteRecord(fromId);
    await this.ops.removeContainer(fromId);
    await this.ops.removeNetwork(fromId);
    await this.ops.removePodmanSecrets(fromId);
    this.ops.forget(fromId);
    await this.ops.saveRecord(target.record);
    await this.ops.writeDefaultAppConfig(target.record.id);
    await this.writeMarker(target);
  }

  /** Target out, data back under the source, source wanted running again. Safe to run twice. */
  private async undoSwitch(fromId: string, toId: string): Promise<void> {
    const target = this.ops.find(toId);
    if (target) await this.ops.stopContainer(target).catch(() => undefined);
    await this.ops.removeContainer(toId);
    await this.ops.removeNetwork(toId);
    await this.ops.removePodmanSecrets(toId);
    await this.ops.deleteRecord(toId);
    this.ops.forget(toId);
    if ((await pathExists(this.ops.appDataDir(toId))) && !(await pathExists(this.ops.appDataDir(fromId)))) {
      await rename(this.ops.appDataDir(toId), this.ops.appDataDir(fromId));
    }
    const source = this.ops.find(fromId);
    if (source) {
      source.record.desired = 'running';
      await this.ops.saveRecord(source.record);
    }
  }

  // ---- crash recovery -----------------------------------------------------------------------

  /**
   * At boot, before the records are loaded: settles interrupted switches (which add and delete
   * records), so the reconcile sees one consistent set of apps.
   */
  async recoverSwitches(records: { load(id: string): Promise<AppRecord | undefined> }): Promise<void> {
    for (const intent of await this.options.journal.loadAll()) {
      if (intent.op !== 'switch-implementation' || !intent.from) continue;
      const fromId = intent.from.id;
      const toId = intent.to.id;
      const forward = ['start-target', 'commit', 'verify'].includes(intent.step);
      this.options.log(
        'warn',
        { from: fromId, to: toId, step: intent.step },
        forward ? 'finishing an interrupted switch' : 'rolling back an interrupted switch',
      );
      const rollForward = forward && (await records.load(toId)) !== undefined;
      if (rollForward) {
        // The source stays recorded (stopped: it was told so before its container went) until the
        // target proves healthy; settleRecoveredSwitch then finishes or undoes the switch.
        await this.ops.removeContainer(fromId);
      } else {
        await this.ops.removeContainer(toId);
        await this.ops.removeNetwork(toId);
        await this.ops.deleteRecord(toId);
        if (
          (await pathExists(this.ops.appDataDir(toId))) &&
          !(await pathExists(this.ops.appDataDir(fromId)))
        ) {
          await rename(this.ops.appDataDir(toId), this.ops.appDataDir(fromId));
        }
        const source = await records.load(fromId);
        if (source) {
          source.desired = 'running';
          await this.ops.saveRecord(source);
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
    const { from, to } = intent;
    if (!from) return Promise.resolve();
    return this.ops.onQueue(from.id, () =>
      this.ops.onQueue(to.id, async () => {
        target.transition = 'updating';
        this.ops.publish(target);
        const healthy = target.container?.running
          ? await this.ops.waitUntilHealthy(target)
          : ({ ok: false, why: 'it is not running' } as const);
        target.transition = undefined;
        const source = this.ops.find(from.id);
        if (healthy.ok) {
          await this.finishSwitch(from.id, target);
          await this.dropFirstStartArgs(target);
          await this.options.journal.clear(to.id);
          this.options.log('info', { from: from.id, to: to.id }, 'finished an interrupted switch');
          this.ops.publish(target);
          return;
        }
        if (!source) {
          // Nothing left to go back to (should not happen: the source record stays until here).
          target.message = `${to.id} ${to.version} did not become healthy after a restart (${healthy.why}), and ${from.id} cannot be restored: its record is gone`;
          await this.options.journal.clear(to.id);
          this.options.log('error', { from: from.id, to: to.id, why: healthy.why }, target.message);
          this.ops.publish(target);
          return;
        }
        const output = await this.exitOutput(target, intent.startArgs ?? []);
        await this.options.journal.write({ ...intent, step: 'restore' });
        await this.undoSwitch(from.id, to.id);
        await this.options.journal.clear(to.id);
        source.transition = undefined;
        await this.markRestored(source);
        await this.ops.createContainer(source, []);
        await this.ops.startContainer(source);
        source.message = `the switch to ${to.id} ${to.version} was interrupted by a daemon restart and ${to.id} then did not become healthy (${healthy.why}); ${from.id} ${from.version} was restored with the same data.${quoted(`Last log lines of ${to.id}`, output)}`;
        this.options.log(
          'warn',
          { from: from.id, to: to.id, why: healthy.why },
          'an interrupted switch did not become healthy; restored the previous implementation',
        );
        this.ops.publish(source);
      }),
    );
  }

  /**
   * Before the reconcile brings up `record`'s app: puts the record on the side of an interrupted
   * set-version the recovery will take, and removes a container of the other side.
   */
  async recoverBefore(record: AppRecord): Promise<Intent | undefined> {
    const intent = await this.options.journal.get(record.id);
    if (!intent) return undefined;
    if (intent.op === 'install') {
      // The install's own record phase decides (an `installing` record is rolled back).
      await this.options.journal.clear(record.id);
      return undefined;
    }
    // A switch rolled forward at boot (recoverSwitches): the reconcile brings the target up as it is.
    if (intent.op === 'switch-implementation') return intent.step === 'verify' ? intent : undefined;
    if (intent.op !== 'set-version' || !intent.from) return undefined;
    const forward = ['start-new', 'commit', 'verify'].includes(intent.step);
    const side = forward ? intent.to : intent.from;
    this.options.log(
      'warn',
      { app: record.id, step: intent.step, version: side.version },
      forward ? 'finishing an interrupted version change' : 'rolling back an interrupted version change',
    );
    applyVersion(record, side);
    await this.ops.saveRecord(record);
    const running = await this.ops.containerVersion(record.id);
    if (running !== undefined && running !== side.version) await this.ops.removeContainer(record.id);
    if (!forward) {
      await this.options.journal.clear(record.id);
      return undefined;
    }
    return intent;
  }

  /** After the reconcile started the new version: marker if healthy, else back to the old one. */
  async recoverAfter(runtime: AppRuntime, intent: Intent): Promise<void> {
    const id = runtime.record.id;
    const healthy = runtime.container?.running
      ? await this.ops.waitUntilHealthy(runtime)
      : ({ ok: false, why: 'it is not running' } as const);
    if (healthy.ok) {
      await this.commit(runtime);
      await this.dropFirstStartArgs(runtime);
    } else if (intent.from && intent.from.version !== intent.to.version && intent.from.id === id) {
      const output = await this.exitOutput(runtime, intent.startArgs ?? []);
      await this.options.journal.write({ ...intent, step: 'restore' });
      await this.restore(runtime, intent.from);
      runtime.message = `${id} ${intent.to.version} did not become healthy after a restart (${healthy.why}); ${intent.from.version} was restored.${quoted('Last log lines', output)}`;
    }
    await this.options.journal.clear(id);
  }

  /** What the version that did not come up said: its decisive lines, no reindex advice the guard did not approve. */
  private async exitOutput(runtime: AppRuntime, approvedArgs: readonly string[]): Promise<ExitOutput> {
    const lines = await this.ops.lastLogs(runtime.record.id, EXIT_OUTPUT_TAIL);
    return decisiveExitOutput(lines, { bitcoin: runtime.manifest.bitcoin !== undefined, approvedArgs });
  }

  private async statusOf(runtime: AppRuntime): Promise<AppStatus> {
    return toStatus(runtime);
  }
}

/** Throws the plan's refusal (a Conflict whose data carries the plan); else what the change needs. */
function checked(plan: VersionChangePlan): PlannedChange {
  if (!plan.allowed) {
    throw new ArchyError(RpcErrorCode.Conflict, plan.refusal ?? plan.warning, {
      data: { plan: { kind: plan.kind, needs: plan.needs, warning: plan.warning, rules: plan.rules } },
    });
  }
  // Never -reindex=auto: the plans only ever name -reindex or -reindex-chainstate; this says so twice.
  const startArgs = plan.startArgs.filter((arg) => !arg.startsWith('-reindex=auto'));
  return { warning: plan.warning, startArgs };
}

/** " Last log lines of 30.0: … | …" (and what was left out), or nothing when there were none. */
function quoted(heading: string, output: ExitOutput): string {
  const lines = output.lines.length > 0 ? ` ${heading}: ${output.lines.join(' | ').slice(0, 800)}` : '';
  return `${lines}${output.withheldAdvice ? ` (${output.withheldAdvice})` : ''}`;
}

function versionOf(record: AppRecord): IntentVersion {
  return {
    id: record.id,
    version: record.version,
    image: record.image,
    ...(record.runImage !== undefined && { runImage: record.runImage }),
    ...(record.catalogDigest !== undefined && { catalogDigest: record.catalogDigest }),
  };
}

function applyVersion(record: AppRecord, side: IntentVersion): void {
  record.version = side.version;
  record.image = side.image;
  if (side.runImage !== undefined) record.runImage = side.runImage;
  else delete record.runImage;
  if (side.catalogDigest !== undefined) record.catalogDigest = side.catalogDigest;
  else delete record.catalogDigest;
}

/** True when `dir` is missing or holds only empty folders we can read (a volume made but never used). */
async function isEmptyTree(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  for (const name of names) {
    const path = `${dir}/${name}`;
    // lstat: a symlink (the old app's, pointing anywhere) is not an empty folder to remove.
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isDirectory() || !(await isEmptyTree(path))) return false;
  }
  return true;
}

async function removeEmptyTree(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) await removeEmptyTree(`${dir}/${name}`);
  await rmdir(dir);
}
