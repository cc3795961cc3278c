// What version changes need from the rest of the daemon: its effects, never its decisions. Two
// halves — the daemon's bookkeeping (its view of the apps, their queues and records) and the
// effects on the host (containers, networks, images, secrets, data dirs) — so that the effects
// can live in one module and a fake of both (spec-fake-node.ts) can stand in for the daemon in
// the recovery specs.

import type { CatalogVersion } from '../catalog/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { AppRecord } from '../orchestrator/app-record.js';
import type { AppRuntime } from '../orchestrator/app-runtime.js';

/** The daemon's view of the installed apps: in memory and on its records; nothing on the host. */
export interface AppRegistry {
  find(id: string): AppRuntime | undefined;
  onQueue<T>(id: string, task: () => Promise<T>): Promise<T>;
  saveRecord(record: AppRecord): Promise<void>;
  deleteRecord(id: string): Promise<void>;
  /** Registers a runtime for an app the switch creates (no planning, no conflict check: the switch is the guard). */
  adopt(runtime: AppRuntime): void;
  forget(id: string): void;
  publish(runtime: AppRuntime): void;
  /** Apps other than `id` that are bound to it as a dependency. */
  dependentsOf(id: string): string[];
  bundledManifest(id: string): Promise<{ manifest: AppManifest; yaml: string; file: string }>;
  writeDefaultAppConfig(id: string): Promise<void>;
}

/** Effects on the host. Each is safe to repeat: recovery may run one again after a crash. */
export interface AppEffects {
  /** Stops the container (if any), with the manifest's stop timeout, and stops probing it. */
  stopContainer(runtime: AppRuntime): Promise<void>;
  /** Removes the app's container if there is one. */
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
  /** The version label of the app's current container (ours), if one exists. */
  containerVersion(id: string): Promise<string | undefined>;
  /** Copies the app's stored secrets to another app id (the switch keeps the RPC credentials). */
  copySecrets(from: string, to: string): Promise<void>;
  removePodmanSecrets(id: string): Promise<void>;
  /** The app's data dir on the host, for messages. */
  appDataDir(id: string): string;
  /** Whether the app's data dir exists. */
  hasAppData(id: string): Promise<boolean>;
  /**
   * Removes the app's data dir if it holds nothing but empty folders (a volume made but never
   * used); true when it is gone or never was, false (and untouched) when it holds anything.
   */
  clearEmptyAppData(id: string): Promise<boolean>;
  /** Whether the app's data dir is missing or holds nothing but empty folders (changes nothing). */
  appDataEmpty(id: string): Promise<boolean>;
  /** Renames `fromId`'s data dir to `toId`'s (which must not exist): the switch's only data move. */
  moveAppData(fromId: string, toId: string): Promise<void>;
}

export type AppOperations = AppRegistry & AppEffects;
