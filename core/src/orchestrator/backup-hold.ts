// The orchestrator's side of a backup (backup/backup-service.ts): the apps to be snapshotted are
// stopped through their own queues, held there while restic reads their data, and started again.
// A backup stop is not a user's stop: the desired state is never written, so a daemon killed in
// the middle leaves apps that should run stopped, and the boot reconcile starts them again.
//
// While held, each app's queue is taken (nested, in boot order), so no user action, supervisor
// restart or resync can start an app under restic; its transition stays `stopping` with a message
// saying why, so its container's death is the daemon's own, never a crash for the supervisor.

import type { Logger } from 'pino';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';
import { bootOrder } from '../resolver/index.js';
import type { AppRecord } from './app-record.js';
import type { AppRegistry } from './app-registry.js';
import { appContainer, type AppRuntime } from './app-runtime.js';
import type { BundledApps } from './bundled-apps.js';
import type { PodmanEffects } from './podman-effects.js';
import type { ReadinessWaits } from './readiness.js';
import type { Supervisor } from './supervisor.js';

/** An app while a backup holds it: what the snapshot records about it. */
export interface HeldApp {
  id: string;
  /** A copy of its record as it is while held (desired state untouched). */
  record: AppRecord;
  manifest: AppManifest;
  /** Where its manifest came from, so a restore can install it the same way. */
  manifestSource: 'bundled' | 'catalog' | 'file';
  /** It ran when the backup began (and is started again after). */
  wasRunning: boolean;
}

/** How the hold reports what it does (the backup's progress phases). */
export type HoldPhase = { phase: 'stopping' | 'starting'; app: string };

export interface BackupHoldOptions {
  registry: AppRegistry;
  effects: PodmanEffects;
  readiness: ReadinessWaits;
  supervisor: Supervisor;
  bundled: BundledApps;
  log: Logger;
}

const HELD_MESSAGE = 'stopped for a backup; it starts again when the snapshot is taken';

export class BackupHold {
  constructor(private readonly options: BackupHoldOptions) {}

  /** Every installed app, in boot order (dependencies first). */
  installedIds(): string[] {
    return bootOrder(this.options.registry.installedApps()).order;
  }

  /**
   * Stops the apps (dependents first), runs `work` while they are held, starts those that ran
   * (dependencies first), and returns what `work` returned; a failure of `work` still starts them.
   * An app that does not come back is reported on its status and in the log, never silently.
   */
  async hold<T>(
    ids: readonly string[],
    work: (apps: HeldApp[]) => Promise<T>,
    onPhase?: (phase: HoldPhase) => void,
  ): Promise<T> {
    const { registry } = this.options;
    for (const id of ids) registry.require(id);
    const order = this.installedIds().filter((id) => ids.includes(id));
    // Apps the boot order could not place (a broken graph) still come, last.
    for (const id of ids) if (!order.includes(id)) order.push(id);
    const nest = (index: number): Promise<T> =>
      index === order.length
        ? this.holdAll(order, work, onPhase)
        : registry.onQueue(order[index]!, () => nest(index + 1));
    return nest(0);
  }

  private async holdAll<T>(
    order: readonly string[],
    work: (apps: HeldApp[]) => Promise<T>,
    onPhase?: (phase: HoldPhase) => void,
  ): Promise<T> {
    const { registry, effects, supervisor, log } = this.options;
    const held: Array<{ runtime: AppRuntime; app: HeldApp }> = [];
    try {
      for (const id of [...order].reverse()) {
        const runtime = registry.get(id);
        if (!runtime) {
          throw new ArchyError(RpcErrorCode.NotFound, `'${id}' was removed while the backup began`);
        }
        const wasRunning = appContainer(runtime)?.running === true;
        held.push({ runtime, app: this.heldApp(runtime, wasRunning) });
        supervisor.reset(id);
        runtime.transition = 'stopping';
        runtime.message = HELD_MESSAGE;
        registry.publish(runtime);
        if (wasRunning) {
          onPhase?.({ phase: 'stopping', app: id });
          await effects.stop(runtime);
          log.info({ app: id }, 'stopped for a backup');
        }
      }
      return await work(held.map((entry) => entry.app).reverse());
    } finally {
      for (const { runtime, app } of [...held].reverse()) await this.release(runtime, app, onPhase);
    }
  }

  /** Starts the app again if it ran and should run; its failure is its own message, not the backup's. */
  private async release(
    runtime: AppRuntime,
    app: HeldApp,
    onPhase?: (phase: HoldPhase) => void,
  ): Promise<void> {
    const { registry, effects, readiness, log } = this.options;
    try {
      if (app.wasRunning && runtime.record.desired === 'running') {
        onPhase?.({ phase: 'starting', app: app.id });
        runtime.transition = 'starting';
        registry.publish(runtime);
        await effects.refresh(runtime);
        if (!appContainer(runtime)) await effects.recreate(runtime);
        if (!appContainer(runtime)?.running) await readiness.startAndWait(runtime, { waitForHealthy: false });
        log.info({ app: app.id }, 'started again after the backup');
      }
      if (runtime.message === HELD_MESSAGE) runtime.message = undefined;
    } catch (error) {
      runtime.message = `not started again after the backup: ${error instanceof Error ? error.message : String(error)}; start it with 'archy start ${app.id}'`;
      log.error({ app: app.id, err: error }, 'could not start the app again after the backup');
    } finally {
      runtime.transition = undefined;
      registry.publish(runtime);
    }
  }

  private heldApp(runtime: AppRuntime, wasRunning: boolean): HeldApp {
    const record = structuredClone(runtime.record);
    const manifestSource = record.catalogDigest
      ? 'catalog'
      : record.manifestFile === this.options.bundled.path(record.id)
        ? 'bundled'
        : 'file';
    return { id: record.id, record, manifest: runtime.manifest, manifestSource, wasRunning };
  }
}
