// A user's start, stop, restart and remove: each plans against the installed apps (dependencies
// first, dependents refused or cascaded), then, per app on its queue, takes precedence over the
// supervisor, writes the desired state before anything happens, and leaves the rest to the
// reconciler's steps. The version guard refuses a Bitcoin start before anything changes.

import { RpcErrorCode, type AppStatus } from '../kernel/index.js';
import { planRemove, planStart, planStop } from '../resolver/index.js';
import type { SecretStore } from '../security/secrets/index.js';
import { ArchyError } from '../kernel/index.js';
import { removeAppTree } from './app-data-removal.js';
import { giveBackAdoptedFolder } from './adopted-data.js';
import type { AppRecord } from './app-record.js';
import type { AppRegistry } from './app-registry.js';
import type { AppRuntime } from './app-runtime.js';
import type { StartConfirmation } from './bitcoin-datadir.js';
import type { BitcoinStartGuard } from './bitcoin-start-guard.js';
import type { BundledApps } from './bundled-apps.js';
import type { DataLayout } from '../layout/index.js';
import type { HealthWatch } from './health-watch.js';
import type { InstallFlow } from './install-flow.js';
import { stepsByApp } from './plan-steps.js';
import type { PodmanEffects } from './podman-effects.js';
import type { ReadinessWaits } from './readiness.js';
import type { Reconciler } from './reconciler.js';
import type { Supervisor } from './supervisor.js';
import type { PauseHook } from './test-pause.js';
import type { Logger } from 'pino';

export interface AppActionsOptions {
  registry: AppRegistry;
  effects: PodmanEffects;
  health: HealthWatch;
  readiness: ReadinessWaits;
  supervisor: Supervisor;
  guard: BitcoinStartGuard;
  reconciler: Reconciler;
  bundled: BundledApps;
  installs: InstallFlow;
  layout: DataLayout;
  secrets?: SecretStore;
  /** Deletes a removed app's RPC logins and recreates the Bitcoin nodes that knew them. */
  credentials?: { forget(id: string): Promise<string[]> };
  /** The apps' kept output: a purge deletes the app's (a plain remove keeps it). */
  keptLogs?: { purge(id: string): Promise<void> };
  /** Test hook (ARCHY_TEST_PAUSE_AT). */
  pause?: PauseHook;
  log: Logger;
}

export class AppActions {
  constructor(private readonly options: AppActionsOptions) {}

  private get registry(): AppRegistry {
    return this.options.registry;
  }

  /** Starts an app after the installed dependencies it needs, refusing a conflicting start. */
  async start(id: string, confirm?: StartConfirmation): Promise<AppStatus> {
    this.registry.require(id);
    const plan = planStart({
      id,
      installed: this.registry.installedApps(),
      available: await this.options.bundled.available(),
    });
    for (const step of stepsByApp(plan)) {
      if (!step.start) continue;
      await this.options.readiness.dependencies(step.id, step.waitFor);
      await this.startOne(step.id, step.id === id ? confirm : undefined);
    }
    return this.registry.statusOf(this.registry.require(id));
  }

  startOne(id: string, confirm?: StartConfirmation): Promise<AppStatus> {
    return this.registry.onQueue(id, async () => {
      const runtime = this.registry.require(id);
      // Refused before anything changes: a stopped node stays stopped, as the user left it.
      const checked = runtime.container?.running
        ? undefined
        : await this.options.guard.check(runtime, confirm, `'${id}' was not started`);
      await this.begin(runtime, 'running', 'starting');
      try {
        await this.options.reconciler.userStart(runtime, { checked, ...(confirm && { confirm }) });
      } finally {
        this.end(runtime);
      }
      return this.registry.statusOf(runtime);
    });
  }

  /** Stops an app; running dependents are refused, or stopped first with `cascade`. */
  async stop(id: string, options: { cascade?: boolean } = {}): Promise<AppStatus> {
    this.registry.require(id);
    const plan = planStop({
      id,
      installed: this.registry.installedApps(),
      cascade: options.cascade ?? false,
    });
    for (const dependent of plan.stopFirst) await this.stopOne(dependent);
    return this.stopOne(id);
  }

  private stopOne(id: string): Promise<AppStatus> {
    return this.registry.onQueue(id, async () => {
      const runtime = this.registry.require(id);
      // Saved first: whatever happens next, the daemon won't bring the app back on its own.
      await this.begin(runtime, 'stopped', 'stopping');
      try {
        await this.options.reconciler.userStop(runtime);
      } finally {
        this.end(runtime);
      }
      return this.registry.statusOf(runtime);
    });
  }

  restart(id: string, confirm?: StartConfirmation): Promise<AppStatus> {
    const { effects, guard, health, readiness } = this.options;
    return this.registry.onQueue(id, async () => {
      const runtime = this.registry.require(id);
      if (!runtime.container) {
        throw new ArchyError(
          RpcErrorCode.Conflict,
          `'${id}' has no container to restart; start it with 'archy start ${id}'`,
        );
      }
      // Refused before anything changes: a running node keeps running.
      const checked = await guard.check(runtime, confirm, `'${id}' was not restarted`);
      await this.begin(runtime, 'running', 'starting');
      try {
        // Never restart a container with a reindex that already ran: recreate it without first.
        await guard.settleFirstStartArgs(id, { healthy: false });
        const guarded = await guard.apply(runtime, checked);
        health.unwatch(id);
        if (guarded.recreate) {
          // A confirmed downgrade's one-time reindex: a new container, as a set-version makes one.
          await effects.stop(runtime);
          await effects.recreate(runtime);
          await effects.start(id);
        } else {
          await effects.restart(runtime);
        }
        await readiness.settle(runtime);
        health.watch(runtime);
        if (guarded.note !== undefined && runtime.message === guarded.note) runtime.message = undefined;
      } finally {
        this.end(runtime);
      }
      return this.registry.statusOf(runtime);
    });
  }

  /**
   * Removes the app. An app on adopted data is not removed this way: its data is the user's and is
   * never deleted by us (purge), nor left owned by a container's user (a plain remove) — `release`
   * gives it back. `release` is that remove: the app goes, its data is given back in place.
   */
  async remove(
    id: string,
    options: { purge: boolean; cascade?: boolean; release?: boolean },
  ): Promise<{ id: string; purged: boolean }> {
    const adopted = this.registry.require(id).record.adopted;
    if (adopted && !options.release) {
      const where = Object.values(adopted.volumes).join(', ');
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${id}' runs on data adopted in place (${where}), which Archipelago never deletes` +
          `${options.purge ? '' : ' nor leaves owned by a container user'}; ` +
          `give it back with 'archy parmanode release ${id}' (the app goes, the data stays where it is, owned by you again)`,
      );
    }
    if (options.release && !adopted) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${id}' was not adopted (its data is in Archipelago's data dir); remove it with 'archy remove ${id}'`,
      );
    }
    const plan = planRemove({
      id,
      installed: this.registry.installedApps(),
      cascade: options.cascade ?? false,
    });
    for (const dependent of plan.stopFirst) await this.stopOne(dependent);
    return this.removeOne(id, options.purge && !options.release, options.release ?? false);
  }

  private removeOne(id: string, purge: boolean, release: boolean): Promise<{ id: string; purged: boolean }> {
    const { effects, health, supervisor, log } = this.options;
    return this.registry.onQueue(id, async () => {
      const runtime = this.registry.require(id);
      if (runtime.record.adopted && !release) {
        throw new ArchyError(RpcErrorCode.Conflict, `'${id}' runs on adopted data; release it instead`);
      }
      supervisor.reset(id);
      runtime.transition = 'stopping';
      this.registry.publish(runtime);
      health.unwatch(id);
      if (runtime.container || runtime.services) await effects.stop(runtime);
      await effects.removeContainerQuietly(id);
      await effects.removeNetworkQuietly(id);
      await effects.removePodmanSecrets(id);
      // Adopted data goes back to its owner while the record still names it: a crash before the
      // record is deleted leaves an app that the boot brings back and release can finish.
      for (const path of Object.values(runtime.record.adopted?.volumes ?? {})) {
        await this.options.pause?.('release-give-back', id);
        await giveBackAdoptedFolder(path);
      }
      // The record goes last: a crash before this point leaves an app that remove can finish.
      await this.registry.deleteRecord(id);
      this.registry.forget(id);
      // Its logins go with it (purged or not); a Bitcoin node that knew them is recreated without.
      const restarted = (await this.options.credentials?.forget(id)) ?? [];
      if (restarted.length > 0) log.info({ app: id, restarted }, 'restarted without the removed RPC login');
      if (purge) {
        await removeAppTree(this.options.layout.appDataDir(id));
        await this.options.keptLogs?.purge(id);
      }
      if (purge || release) {
        // A released app is gone for good: its config and secrets were ours (its data never was).
        if (release) await effects.clearEmptyAppData(id);
        await this.options.installs.removeAppConfig(id);
        await this.options.secrets?.removeApp(id);
      }
      log.info({ app: id, purged: purge }, 'removed');
      return { id, purged: purge };
    });
  }

  /**
   * What every user action starts with: it takes precedence over the supervisor (a pending
   * restart is dropped, a crash loop cleared) and its intent is on disk before anything happens.
   */
  private async begin(
    runtime: AppRuntime,
    desired: AppRecord['desired'],
    transition: 'starting' | 'stopping',
  ): Promise<void> {
    this.options.supervisor.reset(runtime.record.id);
    runtime.crashLoop = undefined;
    runtime.record.desired = desired;
    await this.registry.saveRecord(runtime.record);
    runtime.transition = transition;
    runtime.message = undefined;
    this.registry.publish(runtime);
  }

  private end(runtime: AppRuntime): void {
    runtime.transition = undefined;
    this.registry.publish(runtime);
  }
}
