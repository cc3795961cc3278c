import type { AppHealth, AppStatus, DaemonEvents, LogLine } from '../api/contract.js';
import type { AppManifest } from '../manifest/index.js';
import type { TypedEventBus } from '../util/event-bus.js';

/** Where an install's manifest comes from. */
export type InstallSource =
  { kind: 'bundled'; id: string } | { kind: 'manifest'; yaml: string; file: string };

export interface InstallRequest {
  source: InstallSource;
  version?: string;
  /** Interface → the app the user wants to provide it, e.g. `{ 'bitcoin-node': 'bitcoin-knots' }`. */
  choices?: Record<string, string>;
}

export interface LogOptions {
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
}

/**
 * What the API and CLI need from the orchestrator. Every method that changes an app runs on
 * that app's queue, so operations on one app never interleave. Failures throw ArchyError.
 */
export interface AppLifecycle {
  readonly events: TypedEventBus<DaemonEvents>;
  install(request: InstallRequest): Promise<AppStatus>;
  start(id: string): Promise<AppStatus>;
  /** Refuses while running apps depend on it, unless `cascade` (which stops them first). */
  stop(id: string, options?: { cascade?: boolean }): Promise<AppStatus>;
  restart(id: string): Promise<AppStatus>;
  remove(
    id: string,
    options: { purge: boolean; cascade?: boolean },
  ): Promise<{ id: string; purged: boolean }>;
  status(id: string): Promise<AppStatus>;
  list(): Promise<AppStatus[]>;
  logs(id: string, options: LogOptions): AsyncIterable<LogLine>;
  health(id: string): Promise<AppHealth>;
  /** The bundled apps a user may install (`catalog-list`); absent means none. */
  availableManifests?(): Promise<AppManifest[]>;
}
