// What the orchestrator does around a Bitcoin node's start: the version guard before it (the
// record's version against the newest version its datadir's evidence names, see
// bitcoin-datadir.ts), the marker written once a run answers healthy, the one-time start
// arguments (-reindex…) of a confirmed change dropped once they ran, and a pruning change.

import type { Logger } from 'pino';
import { RpcErrorCode, type BitcoinSettings } from '../kernel/index.js';
import { checkChainMatchesData, planPruneChange, settingsOfManifest } from '../bitcoin/chain-settings.js';
import { ArchyError } from '../kernel/index.js';
import type { AppRegistry } from './app-registry.js';
import { runKey, thisRunsBanner, type AppRuntime } from './app-runtime.js';
import type { BitcoinDatadirs, GuardedStart, StartConfirmation } from './bitcoin-datadir.js';
import { firstStartArgsStep } from './first-start-args.js';
import type { HealthWatch } from './health-watch.js';
import { manifestOfRecord } from './manifest-of-record.js';
import type { PodmanEffects } from './podman-effects.js';
import type { Supervisor } from './supervisor.js';
import type { PauseHook } from './test-pause.js';

export interface BitcoinStartGuardOptions {
  registry: AppRegistry;
  effects: PodmanEffects;
  health: HealthWatch;
  supervisor: Supervisor;
  datadirs: BitcoinDatadirs;
  pause: PauseHook;
  log: Logger;
}

export class BitcoinStartGuard {
  constructor(private readonly options: BitcoinStartGuardOptions) {}

  private get registry(): AppRegistry {
    return this.options.registry;
  }

  /**
   * Data kept from an earlier install (or brought with an imported manifest) must be for the chain
   * this install follows, and the version guard decides whether this version may start on it — a
   * datadir a newer version wrote is refused or needs the same confirmations as a set-version,
   * and a confirmed downgrade's one-time reindex goes on the record. Returns the note shown while
   * the start happens.
   */
  async checkKeptData(
    runtime: AppRuntime,
    confirm: StartConfirmation | undefined,
  ): Promise<string | undefined> {
    const { manifest, record } = runtime;
    const bitcoin = manifest.bitcoin;
    // Adopted data is never ours, whether or not this install made DATA_DIR/apps/<id>.
    if (!bitcoin || (record.createdDataDir && !record.adopted)) return undefined;
    const datadirs = this.options.datadirs;
    const datadir = datadirs.pathOf(manifest, record.id);
    const facts = await datadirs.inspect(manifest, record.id);
    if (bitcoin.network !== 'testnet') {
      checkChainMatchesData(record.id, datadir, bitcoin.network, [
        ...facts.networksPresent,
        ...(facts.marker && !facts.networksPresent.includes(facts.marker.network)
          ? [facts.marker.network]
          : []),
      ]);
    }
    const guarded = await datadirs.guardStart({
      manifest,
      owner: record.id,
      version: record.version,
      facts,
      ...(confirm && { confirm }),
      howToConfirm: `Nothing was installed; the data in ${datadir} is as it was`,
    });
    return (await this.apply(runtime, guarded)).note;
  }

  /**
   * The version guard before a Bitcoin node starts again on its own datadir. Throws the refusal
   * before anything changed; the caller applies what it returns (apply). Nothing is checked while
   * a confirmed change still has its one-time arguments pending: that start was guarded when asked for.
   */
  async check(
    runtime: AppRuntime,
    confirm: StartConfirmation | undefined,
    howToConfirm: string,
  ): Promise<GuardedStart | undefined> {
    const { manifest, record } = runtime;
    if (!manifest.bitcoin || (record.firstStartArgs && !record.firstStartArgs.spent)) return undefined;
    return this.options.datadirs.guardStart({
      manifest,
      owner: record.id,
      version: record.version,
      recorded: record.version,
      ...(confirm && { confirm }),
      howToConfirm,
    });
  }

  /** check and apply in one, for the daemon's own starts (nothing to keep as it was). */
  async checkAndApply(runtime: AppRuntime, howToConfirm: string): Promise<{ recreate: boolean }> {
    return this.apply(runtime, await this.check(runtime, undefined, howToConfirm));
  }

  /**
   * Puts a confirmed start's one-time arguments on the record (saved; the container must then be
   * recreated), and what the start means in the app's message while it happens (returned as
   * `note`, so the caller clears it once the start is done).
   */
  async apply(
    runtime: AppRuntime,
    guarded: GuardedStart | undefined,
  ): Promise<{ recreate: boolean; note?: string }> {
    if (!guarded) return { recreate: false };
    const recreate = guarded.startArgs.length > 0;
    if (recreate) {
      runtime.record.firstStartArgs = { args: guarded.startArgs, spent: false };
      if (runtime.record.phase === 'installed') await this.registry.saveRecord(runtime.record);
    }
    if (guarded.warning === undefined) return { recreate };
    runtime.message = guarded.warning;
    this.registry.publish(runtime);
    this.options.log.warn({ app: runtime.record.id, args: guarded.startArgs }, guarded.warning);
    return { recreate, note: guarded.warning };
  }

  /** A Bitcoin node's datadir records the version that ran on it, once it answered healthy. */
  async markVersionIfHealthy(runtime: AppRuntime): Promise<void> {
    if (!runtime.manifest.bitcoin || runtime.health?.status !== 'healthy') return;
    try {
      await this.options.datadirs.markRan(
        runtime.manifest,
        runtime.record.id,
        runtime.record.version,
        thisRunsBanner(runtime),
      );
      runtime.markedRun = runKey(runtime);
    } catch (error) {
      this.options.log.warn({ app: runtime.record.id, err: error }, 'could not write the version marker');
    }
  }

  /**
   * Every run of a Bitcoin node that answers healthy is recorded in its datadir's marker, once per
   * container start, on the app's queue (after whatever operation is running finishes, and only if
   * that run is still the one running then): the guard then knows this version accepted the data.
   */
  markRunOnce(runtime: AppRuntime): void {
    const key = runKey(runtime);
    if (key === undefined || runtime.markedRun === key) return;
    runtime.markedRun = key;
    const id = runtime.record.id;
    void this.registry
      .onQueue(id, async () => {
        const current = this.registry.get(id);
        if (current !== runtime || runKey(runtime) !== key || runtime.health?.status !== 'healthy') return;
        await this.options.datadirs.markRan(
          runtime.manifest,
          id,
          runtime.record.version,
          thisRunsBanner(runtime),
        );
      })
      .catch((error: unknown) => {
        runtime.markedRun = undefined;
        this.options.log.warn({ app: id, err: error }, 'could not write the version marker');
      });
  }

  /**
   * Drops an app's one-time start arguments (see first-start-args.ts) once they are spent: marks
   * them spent first (so a daemon killed in the middle never starts with them again), then
   * recreates the container without them — same name, data, secrets, ports and network — and
   * starts it again if it was running. Runs on the app's queue.
   */
  async settleFirstStartArgs(id: string, observed: { healthy: boolean }): Promise<void> {
    const { effects, health, supervisor, log } = this.options;
    const runtime = this.registry.get(id);
    const pending = runtime?.record.firstStartArgs;
    if (!runtime || !pending) return;
    const ours = await effects.inspectOwned(id);
    const step = firstStartArgsStep({
      pending,
      healthy: observed.healthy,
      containerCommand: ours ? (ours.Config?.Cmd ?? []) : undefined,
    });
    if (step === 'keep') return;
    const record = runtime.record;
    if (step === 'forget') {
      delete record.firstStartArgs;
      await this.registry.saveRecord(record);
      return;
    }
    if (!pending.spent) {
      record.firstStartArgs = { ...pending, spent: true };
      await this.registry.saveRecord(record);
    }
    await this.options.pause('drop-start-args', id);
    const wasRunning = ours?.State.Running === true;
    const previous = runtime.transition;
    runtime.transition = 'updating';
    this.registry.publish(runtime);
    try {
      supervisor.reset(id);
      health.unwatch(id);
      if (wasRunning) await effects.stop(runtime);
      await effects.removeContainerQuietly(id);
      runtime.container = undefined;
      // Cleared before the create: a crash from here on recreates the container without them.
      delete record.firstStartArgs;
      await this.registry.saveRecord(record);
      await effects.recreate(runtime);
      // Only what ran is started again; a stopped one is started by whoever starts it (reconcile, start).
      if (wasRunning) {
        await effects.start(id);
        runtime.health = undefined;
        await effects.refresh(runtime);
        health.watch(runtime);
      }
      log.info({ app: id, dropped: pending.args }, 'recreated without the one-time start arguments');
    } finally {
      runtime.transition = previous;
      this.registry.publish(runtime);
    }
  }

  /**
   * Turns a Bitcoin node's pruning on, resizes it, or (confirmed) off: the container is recreated
   * with the new flags — same data, name, ports and secrets — and started again if it was running.
   */
  changePrune(
    id: string,
    prune: number,
    confirmResync?: string,
  ): Promise<{ settings: BitcoinSettings; message: string }> {
    const { effects } = this.options;
    return this.registry.onQueue(id, async () => {
      const runtime = this.registry.require(id);
      const current = runtime.record.bitcoin ?? settingsOfManifest(runtime.manifest);
      const bitcoin = runtime.manifest.bitcoin;
      if (!current || !bitcoin)
        throw new ArchyError(
          RpcErrorCode.InvalidParams,
          `'${id}' is not a Bitcoin node; pruning applies to bitcoin-core and bitcoin-knots`,
        );
      const facts = await this.options.datadirs.inspect(runtime.manifest, id);
      const change = planPruneChange(id, current, prune, {
        prunedData: facts.prune.pruned,
        ...(confirmResync !== undefined && { confirmResync }),
      });
      if (change.settings.prune === current.prune && change.firstStartArgs.length === 0)
        return { settings: current, message: change.message };

      const wasRunning = runtime.container?.running ?? false;
      const previous = runtime.transition;
      runtime.transition = 'updating';
      this.registry.publish(runtime);
      try {
        if (wasRunning) {
          this.options.supervisor.reset(id);
          await effects.stop(runtime);
        }
        runtime.record.bitcoin = change.settings;
        runtime.manifest = manifestOfRecord(runtime.record);
        await effects.createContainer(runtime, change.firstStartArgs);
        if (wasRunning) await effects.startContainer(runtime);
      } finally {
        runtime.transition = previous;
        this.registry.publish(runtime);
      }
      this.options.log.info(
        { app: id, settings: change.settings, args: change.firstStartArgs },
        change.message,
      );
      return { settings: change.settings, message: change.message };
    });
  }
}
