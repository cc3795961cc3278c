// What happens when an app fails while it should run: Podman's events and the health monitor
// report it here, the supervisor decides (restart now, back off, give up), and either Podman's
// own restart (the fast path: the first restart in a window, see podman-effects.ts) or the
// reconciler (after a backoff, or when Podman does not restart) brings it back.

import type { Logger } from 'pino';
import type { ProbeResult } from '../kernel/index.js';
import type { HealthTracker } from '../health/index.js';
import type { PodmanEvent } from '../podman/index.js';
import type { AppRegistry } from './app-registry.js';
import { markOwnStop, type AppRuntime } from './app-runtime.js';
import type { BitcoinStartGuard } from './bitcoin-start-guard.js';
import type { HealthWatch } from './health-watch.js';
import { LABEL } from '../podman/naming.js';
import type { PodmanEffects } from './podman-effects.js';
import type { Supervisor } from './supervisor.js';

export interface CrashRecoveryOptions {
  registry: AppRegistry;
  effects: PodmanEffects;
  health: HealthWatch;
  supervisor: Supervisor;
  guard: BitcoinStartGuard;
  log: Logger;
}

export class CrashRecovery {
  constructor(private readonly options: CrashRecoveryOptions) {}

  private get registry(): AppRegistry {
    return this.options.registry;
  }

  /** Applies a Podman container event to the app it belongs to. */
  applyContainerEvent(event: Pick<PodmanEvent, 'action' | 'id' | 'attributes' | 'exitCode'>): void {
    const appId = event.attributes[LABEL.app];
    // The stream carries every container's events (the isolation guard needs them all).
    if (!appId || !this.options.effects.owns(event.attributes)) return;
    const runtime = this.registry.get(appId);
    if (!runtime) return;
    // The app's Tor sidecar is not one of its services: it follows the main (tor-sidecar.ts).
    if (event.attributes[LABEL.tor] !== undefined) return;
    const service = event.attributes[LABEL.service];
    if (service !== undefined && service !== runtime.manifest.main) {
      this.applyServiceEvent(runtime, service, event);
      return;
    }
    // Events of an older container (removed during a reinstall) are stale.
    if (runtime.container && runtime.container.id !== event.id && event.action !== 'create') return;
    switch (event.action) {
      case 'start':
        runtime.container = { id: event.id, running: true, startedAt: new Date().toISOString() };
        this.startedByPodman(runtime, event.id);
        break;
      case 'died':
        if (runtime.ownRestart === event.id) {
          // The death of a restart or stop the daemon made itself: not a failure, and the start
          // that follows may already have happened, so leave the state alone.
          runtime.ownRestart = undefined;
          return;
        }
        this.containerDied(runtime, event.id, event.exitCode);
        break;
      case 'restart':
        this.podmanRestarting(runtime, event.id);
        return;
      case 'remove':
        if (runtime.container?.id === event.id) runtime.container = undefined;
        break;
      default:
        return;
    }
    this.registry.publish(runtime);
  }

  /**
   * A container event of a service other than the main: the app's containers fail, restart and
   * go as one app (the supervisor decides for the app), Podman restarts the container itself.
   */
  private applyServiceEvent(
    runtime: AppRuntime,
    service: string,
    event: Pick<PodmanEvent, 'action' | 'id' | 'exitCode'>,
  ): void {
    const services = (runtime.services ??= {});
    const current = services[service];
    // Events of an older container (removed during a recreate) are stale.
    if (current && current.id !== event.id && event.action !== 'create') return;
    switch (event.action) {
      case 'start':
        services[service] = { id: event.id, running: true, startedAt: new Date().toISOString() };
        this.startedByPodman(runtime, event.id);
        break;
      case 'died': {
        if (runtime.ownServiceRestarts?.delete(event.id) || runtime.ownRestart === event.id) return;
        const exitCode =
          event.exitCode !== undefined && Number.isFinite(event.exitCode) ? event.exitCode : undefined;
        services[service] = {
          id: event.id,
          running: false,
          ...(exitCode !== undefined && { exitCode }),
          ...(current?.startedAt && { startedAt: current.startedAt }),
        };
        runtime.podmanRestart = undefined;
        runtime.deaths = {
          count: (runtime.deaths?.count ?? 0) + 1,
          ...(exitCode !== undefined && { exitCode }),
        };
        if (
          runtime.transition ||
          runtime.record.desired !== 'running' ||
          runtime.record.phase !== 'installed'
        )
          break;
        this.options.supervisor.failed(
          runtime.record.id,
          `service '${service}' exited unexpectedly${exitCode !== undefined ? ` with status ${exitCode}` : ''}`,
          { podmanMayRestart: true },
        );
        break;
      }
      case 'restart':
        this.podmanRestarting(runtime, event.id);
        return;
      case 'remove':
        if (current?.id === event.id) services[service] = undefined;
        break;
      default:
        return;
    }
    this.registry.publish(runtime);
  }

  /** A change of an app's health (of its main service, or of `service`), from the monitor. */
  healthChanged(id: string, tracker: HealthTracker, result: ProbeResult, service?: string): void {
    const runtime = this.registry.get(id);
    if (!runtime) return;
    this.registry.publish(runtime);
    if (tracker.status === 'unhealthy' && !runtime.transition && runtime.record.desired === 'running') {
      this.options.supervisor.failed(
        id,
        `${service !== undefined ? `service '${service}' ` : ''}unhealthy: ${result.detail}`,
      );
    }
    // What follows is about the main service (a Bitcoin node's run, its one-time start arguments).
    if (service !== undefined) return;
    if (tracker.status === 'healthy' && runtime.manifest.bitcoin) this.options.guard.markRunOnce(runtime);
    // Healthy once with -reindex(-chainstate): recreate without it, so no restart reindexes again.
    // Queued behind whatever operation is running (a start, a restart), which may not wait for it.
    if (tracker.status === 'healthy' && runtime.record.firstStartArgs) {
      void this.registry
        .onQueue(id, () => this.options.guard.settleFirstStartArgs(id, { healthy: true }))
        .catch((error: unknown) =>
          this.options.log.error({ app: id, err: error }, 'could not drop the one-time start arguments'),
        );
    }
  }

  /** The supervisor gave up: the app stays down, with its last words for the user. */
  async enterCrashLoop(id: string, failures: number, why: string): Promise<void> {
    const runtime = this.registry.get(id);
    if (!runtime) return;
    this.options.health.unwatch(id);
    // Read before anything is awaited: Podman's own restart may already be bringing it back.
    const exitCode = runtime.container?.running ? undefined : runtime.container?.exitCode;
    const lastLogs = await this.options.effects.lastLogs(id, 10);
    runtime.crashLoop = {
      since: new Date().toISOString(),
      lastLogs,
      ...(exitCode !== undefined ? { exitCode } : {}),
    };
    runtime.message = `crash loop: ${failures} failures in a few minutes (last: ${why}); the daemon stopped restarting it. See 'archy logs ${id}', then 'archy start ${id}' to try again`;
    this.options.log.error({ app: id, failures, why }, 'crash loop; no more automatic restarts');
    this.registry.publish(runtime);
  }

  /**
   * A restart of a failed app, the supervisor's own or Podman's that it took as its own: counted
   * once, logged (the line the supervision bench reads), shown.
   */
  countRestart(runtime: AppRuntime, by: 'daemon' | 'podman'): void {
    runtime.restartCount += 1;
    this.options.log.warn(
      { app: runtime.record.id, attempt: runtime.restartCount, ...(by === 'podman' && { by }) },
      'restarting a failed app',
    );
    this.registry.publish(runtime);
  }

  private containerDied(runtime: AppRuntime, containerId: string, exitCode: number | undefined): void {
    runtime.container = {
      id: containerId,
      running: false,
      ...(exitCode !== undefined && Number.isFinite(exitCode) ? { exitCode } : {}),
      ...(runtime.container?.startedAt ? { startedAt: runtime.container.startedAt } : {}),
    };
    runtime.podmanRestart = undefined;
    runtime.deaths = {
      count: (runtime.deaths?.count ?? 0) + 1,
      ...(runtime.container.exitCode !== undefined && { exitCode: runtime.container.exitCode }),
    };
    this.options.health.unwatch(runtime.record.id);
    // A death the user did not ask for goes to the supervisor, which restarts or gives up.
    if (runtime.transition || runtime.record.desired !== 'running' || runtime.record.phase !== 'installed')
      return;
    const code = runtime.container.exitCode;
    this.options.supervisor.failed(
      runtime.record.id,
      `exited unexpectedly${code !== undefined ? ` with status ${code}` : ''}`,
      {
        podmanMayRestart: true,
      },
    );
  }

  /**
   * Podman's restart policy restarts the container (its `restart` event, right behind `died`):
   * the first restart in a window is taken as the daemon's own, anything the supervisor holds
   * back is stopped again once it has started.
   */
  private podmanRestarting(runtime: AppRuntime, containerId: string): void {
    if (runtime.transition || runtime.ownRestart === containerId) return;
    const id = runtime.record.id;
    const verdict = this.options.supervisor.podmanRestarted(id);
    if (verdict === 'ignore') return;
    runtime.podmanRestart = { containerId, verdict };
    if (verdict === 'accept') {
      runtime.message = undefined;
      this.countRestart(runtime, 'podman');
    }
  }

  /** The container started: after Podman's own restart, probe it again or stop it (held). */
  private startedByPodman(runtime: AppRuntime, containerId: string): void {
    const restart = runtime.podmanRestart;
    if (!restart || restart.containerId !== containerId) return;
    runtime.podmanRestart = undefined;
    const id = runtime.record.id;
    if (restart.verdict === 'accept') {
      runtime.health = undefined;
      this.options.health.watch(runtime);
      // The main's new network namespace needs its Tor started in it again.
      if (containerId === runtime.container?.id)
        void this.registry
          .onQueue(id, () => this.options.effects.relaunchTor(runtime))
          .catch((error: unknown) =>
            this.options.log.warn({ app: id, err: error }, 'could not start the app’s Tor again'),
          );
      return;
    }
    // Held: the supervisor's backoff (or crash loop) decides when it runs again, not Podman.
    void this.registry
      .onQueue(id, async () => {
        const holding = this.options.supervisor.isHolding(id);
        const current = [runtime.container, ...Object.values(runtime.services ?? {})].some(
          (observed) => observed?.id === containerId,
        );
        if (this.registry.get(id) !== runtime || !holding || !current) return;
        runtime.ownRestart = containerId;
        markOwnStop(runtime);
        await this.options.effects.stop(runtime);
        this.registry.publish(runtime);
      })
      .catch((error: unknown) =>
        this.options.log.warn({ app: id, err: error }, 'could not hold back a restart Podman made'),
      );
  }
}
