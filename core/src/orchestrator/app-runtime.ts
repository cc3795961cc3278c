import type { AppState, AppStatus, HealthStatus, PortBinding } from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { HealthTracker } from '../health/health-tracker.js';
import type { AppRecord } from './app-record.js';
import { containerName } from '../podman/naming.js';

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
  container?: ObservedContainer;
  transition?: Transition;
  health?: HealthTracker;
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
  const health: HealthStatus = runtime.manifest.health ? (runtime.health?.status ?? 'starting') : 'none';
  if (runtime.transition) return { state: runtime.transition, health };
  if (runtime.crashLoop)
    return { state: 'crash-loop', health: runtime.manifest.health ? 'unhealthy' : 'none' };
  const container = runtime.container;
  if (!container || !container.running) {
    // A stopped app has no health to speak of; a failed one is unhealthy if it is checked at all.
    if (runtime.record.desired === 'stopped') return { state: 'stopped', health: 'none' };
    return { state: 'failed', health: runtime.manifest.health ? 'unhealthy' : 'none' };
  }
  if (health === 'starting') return { state: 'starting', health };
  if (health === 'unhealthy') return { state: 'unhealthy', health };
  return { state: 'running', health };
}

export function toStatus(runtime: AppRuntime): AppStatus {
  const { record, manifest, container } = runtime;
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
  };
  if (container) {
    status.containerId = container.id;
    if (container.startedAt) status.startedAt = container.startedAt;
    if (!container.running && container.exitCode !== undefined) status.exitCode = container.exitCode;
  }
  if (!container?.running && runtime.crashLoop?.exitCode !== undefined)
    status.exitCode = runtime.crashLoop.exitCode;
  if (runtime.crashLoop) status.crashLoop = runtime.crashLoop;
  const message = runtime.message ?? describeFailure(state, container);
  if (message) status.message = message;
  return status;
}

function describeFailure(state: AppState, container: ObservedContainer | undefined): string | undefined {
  if (state !== 'failed') return undefined;
  if (!container) return 'the container is missing; start the app to recreate it (its data is kept)';
  return `the container exited${container.exitCode !== undefined ? ` with status ${container.exitCode}` : ''}; see 'archy logs', then 'archy start' it`;
}
