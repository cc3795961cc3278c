// Waiting for an app to be ready, driven by what happens to it rather than by polling: a wait
// wakes when the app changes (a Podman event, a transition, a health change — everything the
// registry publishes) and otherwise only to probe, at intervals that grow from 50 ms. A
// container that exits is seen by its `died` event, and confirmed with one inspect; before, each
// wait asked Podman and probed back to back every 50 ms.

import { RpcErrorCode } from '../kernel/index.js';
import { ArchyError, notFound } from '../kernel/index.js';
import type { AppRegistry } from './app-registry.js';
import { appContainer, markOwnStop, toStatus, type AppRuntime } from './app-runtime.js';
import type { HealthWatch } from './health-watch.js';
import type { PodmanEffects } from './podman-effects.js';

/** A container that lives at least this long after starting didn't "exit at once". */
const SETTLE_MS = 1_000;
/** How long an install waits for a first healthy probe before returning the app as starting. */
const READY_WAIT_CAP_MS = 20_000;
/** How long an install waits for a dependency to come up before giving up on the plan. */
const DEPENDENCY_WAIT_MS = 120_000;
/** The longest a version change waits for the new version to be healthy before restoring the old one. */
const VERSION_HEALTH_WAIT_CAP_MS = 10 * 60_000;
/** The first probe follows the start at once; then the gaps double from here up to the cap. */
const FIRST_GAP_MS = 50;
const GAP_CAP_MS = 200;

export type Readiness = { ok: true } | { ok: false; why: string };

/** How many times the app's containers died on their own so far. */
const deathsOf = (runtime: AppRuntime): number => runtime.deaths?.count ?? 0;

export class ReadinessWaits {
  constructor(
    private readonly registry: AppRegistry,
    private readonly effects: PodmanEffects,
    private readonly health: HealthWatch,
  ) {}

  /**
   * Starts the container and waits until it is past the point of exiting at once — and, for an
   * install, until its first healthy probe (bounded), so "installed" means "working".
   */
  async startAndWait(runtime: AppRuntime, options: { waitForHealthy: boolean }): Promise<void> {
    await this.effects.start(runtime.record.id);
    this.health.watch(runtime);
    if (options.waitForHealthy) await this.firstHealthy(runtime);
    else await this.settle(runtime);
  }

  /**
   * Waits out the window in which a broken app exits at once; throws the StartFailed if it does.
   * Probes during it too, so an app that answers quickly is reported healthy when the call returns.
   */
  async settle(runtime: AppRuntime): Promise<void> {
    const id = runtime.record.id;
    const deaths = deathsOf(runtime);
    await this.until(runtime, Date.now() + SETTLE_MS, GAP_CAP_MS, async () => {
      await this.assertRunning(runtime, deaths);
      if (runtime.manifest.health && runtime.health?.status !== 'healthy') await this.health.probeNow(id);
      return undefined;
    });
    // Events can lag behind the exit: ask Podman once at the end of the window.
    await this.effects.refresh(runtime);
    await this.assertRunning(runtime, deaths);
  }

  /** An install's wait for its first healthy probe (bounded); a slow app is returned as starting. */
  async firstHealthy(runtime: AppRuntime): Promise<void> {
    const health = runtime.manifest.health;
    if (!health) return this.settle(runtime);
    const deadline =
      Date.now() + Math.min(READY_WAIT_CAP_MS, health.startPeriod + health.interval * health.retries);
    // A healthy answer means the app works; a later exit is a crash for the supervisor to
    // handle, not an install that failed. Past the deadline the monitor keeps probing.
    const deaths = deathsOf(runtime);
    await this.until(runtime, deadline, GAP_CAP_MS, async () => {
      await this.assertRunning(runtime, deaths);
      return (await this.health.probeNow(runtime.record.id))?.ok ? true : undefined;
    });
  }

  /**
   * Waits until a probe passes — or, without a health check, until the container has stayed up
   * past the settle window. Bounded by the health check's own start period and retries.
   */
  async healthy(runtime: AppRuntime): Promise<Readiness> {
    const health = runtime.manifest.health;
    if (!health) {
      try {
        await this.settle(runtime);
        return { ok: true };
      } catch (error) {
        return { ok: false, why: (error as Error).message };
      }
    }
    const boundMs = Math.min(
      VERSION_HEALTH_WAIT_CAP_MS,
      health.startPeriod + health.interval * health.retries,
    );
    let last = 'no probe answered yet';
    const deaths = deathsOf(runtime);
    const outcome = await this.until<Readiness>(
      runtime,
      Date.now() + boundMs,
      Math.min(500, health.interval),
      async () => {
        if (!appContainer(runtime)?.running) await this.effects.refresh(runtime);
        const died = deathsOf(runtime) > deaths;
        if (died) await this.stopRestarted(runtime);
        if (died || !appContainer(runtime)?.running) {
          const code = died ? runtime.deaths?.exitCode : appContainer(runtime)?.exitCode;
          return { ok: false, why: `it exited${code !== undefined ? ` with status ${code}` : ''}` };
        }
        const result = await this.health.probeNow(runtime.record.id);
        if (result?.ok) return { ok: true };
        if (result) last = result.detail;
        return undefined;
      },
    );
    return (
      outcome ?? { ok: false, why: `no healthy probe within ${Math.round(boundMs / 1000)} s; last: ${last}` }
    );
  }

  /** Waits until each dependency is up as far as its dependent requires (bounded). */
  async dependencies(
    dependent: string,
    waitFor: ReadonlyArray<{ id: string; requires: 'running' | 'healthy' }>,
  ): Promise<void> {
    for (const { id, requires } of waitFor) {
      const runtime = this.registry.get(id);
      if (!runtime) throw notFound(id);
      const deadline = Date.now() + DEPENDENCY_WAIT_MS;
      const outcome = await this.until(runtime, deadline, 1_000, async () => {
        const current = this.registry.get(id);
        if (!current) throw notFound(id);
        const { state, health } = toStatus(current);
        if (state === 'running' && (requires === 'running' || health === 'healthy' || health === 'none'))
          return 'up';
        if (state === 'failed' || state === 'crash-loop') return `${state}`;
        return undefined;
      });
      if (outcome === 'up') continue;
      const { state, health } = toStatus(this.registry.get(id) ?? runtime);
      throw new ArchyError(
        RpcErrorCode.StartFailed,
        `'${dependent}' needs '${id}' ${requires}, but it is ${state}${health !== 'none' ? ` (${health})` : ''}; see 'archy status ${id}' and 'archy logs ${id}'`,
      );
    }
  }

  /**
   * The container is running and has not died since the wait began (`deaths`), or the
   * StartFailed for its exit — even when Podman's restart policy already brought it back: an app
   * that dies at once failed to start, and is stopped again so it stays as the failure says.
   */
  private async assertRunning(runtime: AppRuntime, deaths: number): Promise<void> {
    if (deathsOf(runtime) > deaths) {
      await this.stopRestarted(runtime);
      throw await this.effects.exitedAtOnce(runtime, runtime.deaths?.exitCode);
    }
    if (appContainer(runtime)?.running) return;
    await this.effects.refresh(runtime);
    if (!appContainer(runtime)?.running) throw await this.effects.exitedAtOnce(runtime);
  }

  /** Stops a container Podman's restart policy started again after a death during a wait. */
  private async stopRestarted(runtime: AppRuntime): Promise<void> {
    await this.effects.refresh(runtime);
    const anyRunning = [runtime.container, ...Object.values(runtime.services ?? {})].some((o) => o?.running);
    if (!anyRunning) return;
    markOwnStop(runtime);
    await this.effects.stop(runtime);
  }

  /**
   * Runs `step` now, then again whenever the app changes or the next gap (doubling from 50 ms up
   * to `gapCapMs`) is over, until it returns a value or the deadline passes (undefined).
   */
  private async until<T>(
    runtime: AppRuntime,
    deadline: number,
    gapCapMs: number,
    step: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    let wake: (() => void) | undefined;
    let changed = false;
    const off = this.registry.onChange(runtime.record.id, () => {
      changed = true;
      wake?.();
    });
    try {
      let gap = Math.min(FIRST_GAP_MS, gapCapMs);
      for (;;) {
        changed = false;
        const result = await step();
        if (result !== undefined) return result;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return undefined;
        if (!changed) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(gap, remaining));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
        gap = Math.min(gap * 2, gapCapMs);
      }
    } finally {
      off();
    }
  }
}
