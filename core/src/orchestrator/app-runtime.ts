import type { AppState, AppStatus, HealthStatus, PortBinding, ServiceStatus } from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { HealthTracker } from '../health/health-tracker.js';
import type { AppRecord } from './app-record.js';
import { containerName } from '../podman/naming.js';
import { containerNameOf, isMainService } from './app-services.js';

/** What Podman last told us about an app's container. */
export interface ObservedContainer {
  id: string;
  running: boolean;
  exitCode?: number;
  startedAt?: string;
}

/** An operation in progress on the app's queue, shown as the app's state while it runs. */
export type Transition = 'installing' | 'starting' | 'stopping' | 'updating';

/** The daemon's in-memory view of one app: its record plus what was observed. */
export interface AppRuntime {
  record: AppRecord;
  manifest: AppManifest;
  /** The main service's container (the app's only one, for a single-container app). */
  container?: ObservedContainer;
  /** A multi-service app's other services' containers, by service name (undefined: none of ours). */
  services?: Record<string, ObservedContainer | undefined>;
  transition?: Transition;
  /** The main service's health. */
  health?: HealthTracker;
  /** The other services' health, by service name, for those that declare a check. */
  serviceHealth?: Record<string, HealthTracker>;
  message?: string;
  restartCount: number;
  /**
   * Deaths of its containers the daemon did not cause, and the last one's exit code: a wait can
   * tell that the app died meanwhile even when Podman's restart policy already brought it back.
   */
  deaths?: { count: number; exitCode?: number };
  /**
   * The container the daemon itself is restarting (an unhealthy app, or repaired port
   * forwarding): its next `died` event is that restart's, not a failure of the app.
   */
  ownRestart?: string;
  /** The other services' containers a restart of the whole app is stopping: their deaths are its own too. */
  ownServiceRestarts?: Set<string>;
  /**
   * Podman's restart policy is restarting this container (its `restart` event was seen): taken
   * as the supervisor's restart (`accept`), or to be stopped again once started (`hold`).
   */
  podmanRestart?: { containerId: string; verdict: 'accept' | 'hold' };
  /** The run (runKey) whose version a Bitcoin node's datadir marker already records. */
  markedRun?: string;
  /** Set when the supervisor gave up restarting: the app keeps failing. */
  crashLoop?: { since: string; exitCode?: number; lastLogs: string[] };
}

/**
 * The daemon is about to stop or restart the app's running containers itself: their deaths are
 * its own, not failures (the main's by `ownRestart`, the other services' by `ownServiceRestarts`).
 */
export function markOwnStop(runtime: AppRuntime): void {
  if (runtime.container?.running) runtime.ownRestart = runtime.container.id;
  if (!runtime.services) return;
  runtime.ownServiceRestarts = new Set(
    Object.values(runtime.services).flatMap((observed) => (observed?.running ? [observed.id] : [])),
  );
}

/**
 * markRan's options for a marker of this run: record the debug.log banner stamped since this
 * container started (an older or later one was another bitcoind's).
 */
export function thisRunsBanner(runtime: AppRuntime): { banner: true; runStartedAt?: string } {
  const startedAt = runtime.container?.startedAt;
  return { banner: true, ...(startedAt && { runStartedAt: startedAt }) };
}

/** One start of one container: what "this run" means for things done once per run. */
export function runKey(runtime: AppRuntime): string | undefined {
  const container = runtime.container;
  return container?.running ? `${container.id}@${container.startedAt ?? ''}` : undefined;
}

/**
 * The app's state as users see it, from desired vs observed. Pure, so every combination is
 * unit-tested without Podman.
 */
export function deriveState(runtime: AppRuntime): { state: AppState; health: HealthStatus } {
  const health = appHealth(runtime);
  const checked = runtime.manifest.services.some((service) => service.health !== undefined);
  if (runtime.transition) return { state: runtime.transition, health };
  if (runtime.crashLoop) return { state: 'crash-loop', health: checked ? 'unhealthy' : 'none' };
  const container = appContainer(runtime);
  if (!container || !container.running) {
    // A stopped app has no health to speak of; a failed one is unhealthy if it is checked at all.
    if (runtime.record.desired === 'stopped') return { state: 'stopped', health: 'none' };
    return { state: 'failed', health: checked ? 'unhealthy' : 'none' };
  }
  if (health === 'starting') return { state: 'starting', health };
  if (health === 'unhealthy') return { state: 'unhealthy', health };
  return { state: 'running', health };
}

/** Every service's container, by name (the main's too); undefined where there is none of ours. */
export function serviceContainers(runtime: AppRuntime): Array<[string, ObservedContainer | undefined]> {
  return runtime.manifest.services.map((service) => [
    service.name,
    isMainService(runtime.manifest, service) ? runtime.container : runtime.services?.[service.name],
  ]);
}

/**
 * The app's containers as one: the main's id and start, running only when every service's
 * container runs, undefined when any is missing, the exit code of the first one down.
 */
export function appContainer(runtime: AppRuntime): ObservedContainer | undefined {
  const main = runtime.container;
  if (runtime.manifest.services.length <= 1 || !main) return main;
  const all = serviceContainers(runtime);
  if (all.some(([, observed]) => observed === undefined)) return undefined;
  const down = all.find(([, observed]) => !observed!.running)?.[1];
  if (!down) return main;
  return { ...main, running: false, ...(down.exitCode !== undefined && { exitCode: down.exitCode }) };
}

/** The whole app's health: healthy only when every checked service is; unhealthy if any is. */
function appHealth(runtime: AppRuntime): HealthStatus {
  const statuses = runtime.manifest.services.flatMap((service) =>
    service.health ? [serviceHealthOf(runtime, service.name)] : [],
  );
  if (statuses.length === 0) return 'none';
  if (statuses.includes('unhealthy')) return 'unhealthy';
  if (statuses.includes('starting')) return 'starting';
  return 'healthy';
}

function serviceHealthOf(runtime: AppRuntime, name: string): HealthStatus {
  const tracker = isMainService(runtime.manifest, name) ? runtime.health : runtime.serviceHealth?.[name];
  return tracker?.status ?? 'starting';
}

/** One service's line in the status. */
function serviceStatus(
  runtime: AppRuntime,
  name: string,
  observed: ObservedContainer | undefined,
): ServiceStatus {
  const { manifest, record } = runtime;
  const service = manifest.services.find((s) => s.name === name)!;
  const main = isMainService(manifest, service);
  const health: HealthStatus =
    !service.health || !observed?.running ? 'none' : serviceHealthOf(runtime, name);
  const state: ServiceStatus['state'] = !observed
    ? 'missing'
    : !observed.running
      ? record.desired === 'stopped' || runtime.transition !== undefined
        ? 'stopped'
        : 'failed'
      : health === 'starting' || health === 'unhealthy'
        ? health
        : 'running';
  const status: ServiceStatus = {
    name,
    main,
    containerName: containerNameOf(manifest, service),
    image: main ? record.image : service.image,
    state,
    health,
    ports: service.ports.map((p) => ({ container: p.container, host: p.host, protocol: p.protocol })),
  };
  if (observed) status.containerId = observed.id;
  if (observed?.startedAt) status.startedAt = observed.startedAt;
  if (observed && !observed.running && observed.exitCode !== undefined) status.exitCode = observed.exitCode;
  return status;
}

export function toStatus(runtime: AppRuntime): AppStatus {
  const { record, manifest } = runtime;
  const container = appContainer(runtime) ?? runtime.container;
  const { state, health } = deriveState(runtime);
  const ports: PortBinding[] = (manifest.ports ?? []).map((p) => ({
    container: p.container,
    host: p.host,
    protocol: p.protocol,
  }));
  const status: AppStatus = {
    id: record.id,
    name: manifest.name,
    version: record.version,
    image: record.image,
    state,
    health,
    containerName: containerName(record.id),
    ports,
    desired: record.desired,
    installedAt: record.installedAt,
    restartCount: runtime.restartCount,
    services: serviceContainers(runtime).map(([name, observed]) => serviceStatus(runtime, name, observed)),
  };
  if (container) {
    status.containerId = container.id;
    if (container.startedAt) status.startedAt = container.startedAt;
    if (!container.running && container.exitCode !== undefined) status.exitCode = container.exitCode;
  }
  if (!container?.running && runtime.crashLoop?.exitCode !== undefined)
    status.exitCode = runtime.crashLoop.exitCode;
  if (runtime.crashLoop) status.crashLoop = runtime.crashLoop;
  const origin = record.imported?.origin ?? manifest.origin;
  if (origin) status.origin = origin;
  const message = runtime.message ?? describeFailure(state, container);
  if (message) status.message = message;
  return status;
}

function describeFailure(state: AppState, container: ObservedContainer | undefined): string | undefined {
  if (state !== 'failed') return undefined;
  if (!container) return 'the container is missing; start the app to recreate it (its data is kept)';
  return `the container exited${container.exitCode !== undefined ? ` with status ${container.exitCode}` : ''}; see 'archy logs', then 'archy start' it`;
}
