// The reconciler: one idempotent `reconcile(appId)` that compares what an app's record asks for
// with what Podman shows and takes the next step (reconcile-step.ts decides, this file acts).
// Boot, the supervisor's timers, a user's start and stop, a reconnect of Podman's event stream
// and a periodic resync all come here, on the app's queue — as Kubernetes controllers do, any
// run may follow any other, and none assumes the previous one finished.
//
// One file (about 420 lines): the boot pass and the loop body share every step, and the steps'
// guard and repair logic are part of what a reconcile is.

import { realpath } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { AppManifest } from '../manifest/index.js';
import { parseManifest } from '../manifest/index.js';
import { bootOrder, type InstalledApp } from '../resolver/index.js';
import type { AppRecord } from './app-record.js';
import type { AppRegistry } from './app-registry.js';
import { appContainer, type AppRuntime } from './app-runtime.js';
import { ACCOUNTS_PURPOSE_LABEL } from './app-user.js';
import type { GuardedStart, StartConfirmation } from './bitcoin-datadir.js';
import type { BitcoinStartGuard } from './bitcoin-start-guard.js';
import type { CrashRecovery } from './crash-recovery.js';
import { staleVolumeMounts } from './container-mounts.js';
import type { DataLayout } from '../layout/index.js';
import type { HealthWatch } from './health-watch.js';
import type { Intent } from '../versions/intent-journal.js';
import type { LocalImagesIndex } from './built-images.js';
import { manifestOfRecord } from './manifest-of-record.js';
import { LABEL } from '../podman/naming.js';
import type { PodmanEffects } from './podman-effects.js';
import { unforwardedPorts } from './port-forwarding.js';
import type { ReadinessWaits } from './readiness.js';
import { nextStep, type ReconcileTrigger } from './reconcile-step.js';
import type { Supervisor } from './supervisor.js';
import type { VersionSwitch } from '../versions/version-switch.js';

/** How often every app is compared with Podman even when no event said anything changed. */
export const RESYNC_INTERVAL_MS = 60_000;

export interface ReconcilerOptions {
  registry: AppRegistry;
  effects: PodmanEffects;
  health: HealthWatch;
  readiness: ReadinessWaits;
  supervisor: Supervisor;
  guard: BitcoinStartGuard;
  /** Counts and logs a restart of a failed app: one place for the supervisor's and Podman's. */
  crashes: Pick<CrashRecovery, 'countRestart'>;
  layout: DataLayout;
  builtImages: LocalImagesIndex;
  versionSwitch: VersionSwitch | undefined;
  /** Undoes an install the daemon did not finish (install-flow.ts). */
  rollBackInstall: (record: AppRecord) => Promise<void>;
  log: Logger;
}

/** What a user's start brings to the reconcile: the guard's verdict, checked before anything changed. */
export interface UserStart {
  checked: GuardedStart | undefined;
  confirm?: StartConfirmation;
}

export class Reconciler {
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ReconcilerOptions) {}

  private get registry(): AppRegistry {
    return this.options.registry;
  }

  /** Reconciles one app on its queue. Errors are the app's message, never the caller's. */
  reconcile(id: string, trigger: Exclude<ReconcileTrigger, 'user' | 'boot'>): Promise<void> {
    return this.registry.onQueue(id, async () => {
      const runtime = this.registry.get(id);
      if (!runtime) return;
      await this.converge(runtime, trigger);
    });
  }

  /** Every installed app, as by the periodic resync. */
  async resyncAll(): Promise<void> {
    for (const runtime of this.registry.all()) {
      await this.reconcile(runtime.record.id, 'resync').catch((error: unknown) =>
        this.options.log.warn({ app: runtime.record.id, err: error }, 'resync failed'),
      );
    }
  }

  startResync(intervalMs = RESYNC_INTERVAL_MS): void {
    this.stopResync();
    this.resyncTimer = setInterval(() => void this.resyncAll(), intervalMs);
    this.resyncTimer.unref();
  }

  stopResync(): void {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
  }

  /**
   * A user's start, already on the app's queue with the desired state saved: the same steps as
   * any reconcile, but its failures are the user's answer.
   */
  async userStart(runtime: AppRuntime, start: UserStart): Promise<void> {
    const { guard } = this.options;
    // Never start a container again with a reindex that already ran.
    await guard.settleFirstStartArgs(runtime.record.id, { healthy: false });
    const guarded = await guard.apply(runtime, start.checked);
    if (guarded.recreate) await this.options.effects.recreate(runtime);
    await this.options.effects.refresh(runtime);
    const step = nextStep(this.observe(runtime, { inFlight: false }), 'user');
    if (step === 'bring-up') await this.bringUp(runtime);
    else if (step === 'watch') this.options.health.watch(runtime);
    if (guarded.note !== undefined && runtime.message === guarded.note) runtime.message = undefined;
  }

  /** A user's stop, on the app's queue with the desired state saved. */
  async userStop(runtime: AppRuntime): Promise<void> {
    this.options.health.unwatch(runtime.record.id);
    if (runtime.container || runtime.services) await this.options.effects.stop(runtime);
  }

  // ---- boot ---------------------------------------------------------------------------------

  /**
   * Brings the daemon's view in line with Podman after a (re)start (the data dir is already in the
   * current layout: runDaemon migrates it before Podman starts): finishes or rolls back interrupted
   * operations, adopts containers that are running (never recreating them), and reconciles each app
   * in boot order (dependencies first). Then the periodic resync takes over.
   */
  async boot(): Promise<void> {
    const { versionSwitch, effects } = this.options;
    await versionSwitch?.recoverSwitches({ load: (id) => this.registry.store.load(id) });
    const { records, invalid } = await this.registry.store.loadAllChecked();
    // A record that is not valid (torn, edited by hand, a newer format) leaves its app alone —
    // its container is not a leftover — and says which file and why.
    for (const { id, error } of invalid) {
      this.options.log.error(
        { app: id, file: error.path, err: error },
        'the app record is not valid; leaving the app alone',
      );
    }
    const containers = await effects.listOwned();
    const known = new Set([...records.map((r) => r.id), ...invalid.map((entry) => entry.id)]);
    const switches: Array<{ target: AppRuntime; intent: Intent }> = [];
    for (const record of bootSequence(records)) {
      await this.registry.onQueue(record.id, async () => {
        // An interrupted version change first decides which version the reconcile brings up.
        const pending: Intent | undefined = await versionSwitch?.recoverBefore(record);
        // A change rolled forward was guarded (and confirmed) when it was asked for.
        await this.bootApp(record, { guarded: pending !== undefined });
        const runtime = this.registry.get(record.id);
        // A switch is settled once every app is back: undoing it needs the source app's runtime.
        if (pending && runtime && pending.op === 'switch-implementation')
          switches.push({ target: runtime, intent: pending });
        else if (pending && runtime) await versionSwitch!.recoverAfter(runtime, pending);
        if (runtime) this.registry.publish(runtime);
      });
    }
    for (const { target, intent } of switches) {
      await versionSwitch!.settleRecoveredSwitch(target, intent);
    }
    // Containers of ours without a record: left by a remove that crashed before it finished.
    for (const container of containers) {
      // A throwaway that read an image's account files, left by a crash before its remove.
      if (container.Labels?.[ACCOUNTS_PURPOSE_LABEL]) {
        await effects.removeById(container.Id);
        continue;
      }
      const id = container.Labels?.[LABEL.app];
      if (id && !known.has(id)) {
        this.options.log.warn({ app: id }, 'removing a leftover container with no app record');
        await effects.removeContainerQuietly(id);
        await effects.removeNetworkQuietly(id);
      }
    }
    this.startResync();
  }

  private async bootApp(record: AppRecord, options: { guarded: boolean }): Promise<void> {
    const id = record.id;
    let manifest: AppManifest;
    try {
      manifest = manifestOfRecord(record);
    } catch (error) {
      this.options.log.error(
        { app: id, err: error },
        'the stored manifest no longer parses; leaving the app alone',
      );
      return;
    }
    if (record.phase === 'installing') {
      this.options.log.warn({ app: id }, 'rolling back an install that was interrupted');
      await this.options.rollBackInstall(record);
      return;
    }
    const runtime: AppRuntime = { record, manifest, restartCount: 0 };
    this.registry.adopt(runtime);
    if (record.runImage?.startsWith('sha256:'))
      await this.options.builtImages.rememberFromDisk(id, record.version, record.runImage);
    await this.options.effects.refresh(runtime);
    if (runtime.container && runtime.record.containerId !== runtime.container.id) {
      runtime.record.containerId = runtime.container.id;
      await this.registry.saveRecord(runtime.record);
    }
    try {
      await this.recreateIfVolumesMoved(runtime);
      // A reindex that already ran (the app was healthy with it) must not start again at boot.
      await this.options.guard.settleFirstStartArgs(id, { healthy: false });
      await this.converge(runtime, 'boot', options);
    } catch (error) {
      runtime.message = error instanceof Error ? error.message : String(error);
      this.options.log.error({ app: id, err: error }, 'could not bring the app to its desired state');
    }
    this.registry.publish(runtime);
  }

  // ---- the loop body ------------------------------------------------------------------------

  /** Observes the app and takes the step that brings it closer to its record. On its queue. */
  private async converge(
    runtime: AppRuntime,
    trigger: Exclude<ReconcileTrigger, 'user'>,
    options: { guarded?: boolean } = {},
  ): Promise<void> {
    const { effects, health, log } = this.options;
    const id = runtime.record.id;
    if (trigger !== 'boot') await effects.refresh(runtime);
    if (
      trigger === 'supervisor' &&
      runtime.podmanRestart &&
      appContainer(runtime)?.running &&
      !runtime.transition
    ) {
      // Podman's restart policy brought it back before the backoff was over: that is this restart.
      runtime.podmanRestart = undefined;
      runtime.health = undefined;
      health.watch(runtime);
      this.options.crashes.countRestart(runtime, 'podman');
      return;
    }
    const step = nextStep(this.observe(runtime, { inFlight: runtime.transition !== undefined }), trigger);
    switch (step) {
      case 'none':
      case 'roll-back-install': // rolled back by bootApp, before a runtime exists
        return;
      case 'watch':
        if (trigger === 'boot')
          log.info({ app: id, container: runtime.container?.id }, 'adopted running container');
        health.watch(runtime);
        return;
      case 'stop':
        await effects.stop(runtime);
        return;
      case 'report-failure':
        log.warn({ app: id }, 'found down although it should run (no event said so)');
        this.options.supervisor.failed(id, 'found stopped by the periodic check');
        return;
      case 'restart':
        await this.supervisedRestart(runtime);
        return;
      case 'bring-up':
        if (trigger === 'supervisor') await this.supervisedRestart(runtime);
        else await this.bootStart(runtime, options.guarded ?? false);
        return;
    }
  }

  private observe(runtime: AppRuntime, { inFlight }: { inFlight: boolean }) {
    const id = runtime.record.id;
    // A multi-service app's containers as one: running only when all run, none if one is missing.
    const container = appContainer(runtime);
    return {
      phase: runtime.record.phase,
      desired: runtime.record.desired,
      inFlight,
      container: !container ? 'none' : container.running ? 'running' : 'stopped',
      unhealthy: runtime.health?.status === 'unhealthy',
      crashLoop: runtime.crashLoop !== undefined,
      restartPending: this.options.supervisor.isPending(id),
      watched: !runtime.manifest.health || this.options.health.isWatching(id),
    } as const;
  }

  /** Creates the container if it is missing, starts it, and waits past the exit-at-once window. */
  private async bringUp(runtime: AppRuntime): Promise<void> {
    if (!appContainer(runtime)) await this.options.effects.recreate(runtime);
    await this.options.readiness.startAndWait(runtime, { waitForHealthy: false });
  }

  /** At boot, with no user to confirm anything, a start the guard refuses stays undone (message says why). */
  private async bootStart(runtime: AppRuntime, guarded: boolean): Promise<void> {
    const id = runtime.record.id;
    this.options.log.info({ app: id }, 'starting an app that should be running');
    if (!guarded) {
      await this.options.guard.checkAndApply(
        runtime,
        `It was not started at boot; once you have decided, start it with 'archy start ${id}' and the confirmation`,
      );
    }
    await this.bringUp(runtime);
  }

  /**
   * The supervisor's restart. By the time it runs the user may have stopped or removed the app,
   * or it may have recovered: the step was decided afresh from what Podman shows now.
   */
  private async supervisedRestart(runtime: AppRuntime): Promise<void> {
    const { effects, guard, health, log } = this.options;
    const id = runtime.record.id;
    try {
      // Without a user to confirm anything, a restart the guard refuses is not retried.
      await guard.checkAndApply(
        runtime,
        `The supervisor did not restart it; once you have decided, start it with 'archy start ${id}' and the confirmation`,
      );
    } catch (error) {
      runtime.message = error instanceof Error ? error.message : String(error);
      log.warn({ app: id, err: error }, 'the version guard refused to restart a failed app');
      this.registry.publish(runtime);
      return;
    }
    this.options.crashes.countRestart(runtime, 'daemon');
    try {
      await guard.settleFirstStartArgs(id, { healthy: false });
      await effects.refresh(runtime);
      if (!appContainer(runtime)) await effects.recreate(runtime);
      if (appContainer(runtime)?.running) {
        await effects.restart(runtime);
      } else {
        await effects.start(id);
      }
      await this.repairPortForwarding(runtime);
      await effects.refresh(runtime);
      runtime.health = undefined;
      health.watch(runtime);
    } catch (error) {
      log.warn({ app: id, err: error }, 'the restart failed');
      runtime.message = `restart failed: ${error instanceof Error ? error.message : String(error)}`;
      this.options.supervisor.failed(id, 'the restart failed');
    }
    this.registry.publish(runtime);
  }

  /**
   * After the daemon restarted a crashed app: if its published ports refuse connections, Podman's
   * cleanup of the crash took the new port forwarders down (see port-forwarding.ts); one more
   * restart, now that the cleanup is over, brings them back. Part of the same recovery.
   */
  private async repairPortForwarding(runtime: AppRuntime): Promise<void> {
    const { effects, log } = this.options;
    const id = runtime.record.id;
    const refused = await unforwardedPorts(runtime.manifest.ports);
    if (refused.length === 0) return;
    // Died again meanwhile: that is the supervisor's to handle (a new failure), not a repair.
    await effects.refresh(runtime);
    if (!runtime.container?.running) return;
    log.warn(
      { app: id, ports: refused },
      'published ports refuse connections after the restart (Podman cleaned up the crash meanwhile); restarting once more',
    );
    await effects.restart(runtime);
    const still = await unforwardedPorts(runtime.manifest.ports);
    if (still.length > 0) {
      runtime.message = `host ports ${still.join(', ')} refuse connections after the restart; see 'archy logs ${id}'`;
    }
  }

  /**
   * Recreates a container whose volumes are not mounted where the layout puts them (one created
   * before the app data moved into DATA_DIR/apps/): stopped first if it runs, then made again from
   * the record, stopped; the reconcile then starts it if the app should run. Any other container
   * is adopted as it is.
   */
  private async recreateIfVolumesMoved(runtime: AppRuntime): Promise<void> {
    const { effects, layout, log } = this.options;
    if (!runtime.container) return;
    const id = runtime.record.id;
    const inspect = await effects.inspectOwned(id);
    if (!inspect) return;
    const expected = await Promise.all(
      runtime.manifest.volumes.map(async (volume) => {
        const source = layout.volumeDir(id, volume.name);
        return { destination: volume.mount, sources: [source, await realpath(source).catch(() => source)] };
      }),
    );
    const problems = staleVolumeMounts(inspect.Mounts, expected);
    if (problems.length === 0) return;
    log.warn({ app: id, problems }, 'recreating a container whose volumes are not where the app data is');
    const previous = runtime.transition;
    // Its death is the daemon's doing, not a crash for the supervisor.
    runtime.transition = 'updating';
    try {
      if (runtime.container.running) await effects.stop(runtime);
      await effects.removeContainerQuietly(id);
      runtime.container = undefined;
      await effects.recreate(runtime);
    } finally {
      runtime.transition = previous;
    }
  }
}

/**
 * Records in the order apps start at boot: dependencies first (the resolver's boot order). A
 * record whose manifest no longer parses keeps its place at the end; bootApp reports it.
 */
function bootSequence(records: AppRecord[]): AppRecord[] {
  const installed: InstalledApp[] = [];
  for (const record of records) {
    try {
      const manifest = parseManifest(record.manifestYaml, record.manifestFile);
      installed.push({ id: record.id, version: record.version, manifest, state: 'stopped' });
    } catch {
      // ordered last below
    }
  }
  const order = bootOrder(installed).order;
  const rank = (id: string) => {
    const index = order.indexOf(id);
    return index === -1 ? order.length : index;
  };
  return [...records].sort((a, b) => rank(a.id) - rank(b.id));
}
