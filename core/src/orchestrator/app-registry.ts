// The daemon's view of its apps in one place: the in-memory runtimes (records plus what was
// observed), the records on disk, each app's queue, and the events the API relays. Every other
// part of the orchestrator reads and changes apps through it, so "what is installed" has one
// answer and every change is published the same way.

import type { AppStatus, DaemonEvents } from '../kernel/index.js';
import type { InstalledApp } from '../resolver/index.js';
import { TypedEventBus } from '../util/event-bus.js';
import { KeyedQueue } from '../util/keyed-queue.js';
import { notFound } from '../kernel/index.js';
import { byCodeUnits } from '../util/compare.js';
import type { AppRegistry as VersionChangeRegistry } from '../versions/app-operations.js';
import type { AppRecord, AppRecordStore } from './app-record.js';
import type { AppConfigStore } from './app-config.js';
import type { BundledApps } from './bundled-apps.js';
import { toStatus, type AppRuntime } from './app-runtime.js';

/** Listens for any change to one app's runtime (container events, transitions, health). */
type ChangeListener = (runtime: AppRuntime) => void;

export class AppRegistry implements VersionChangeRegistry {
  readonly events = new TypedEventBus<DaemonEvents>();
  /** One queue per app: operations on one app never interleave, different apps run in parallel. */
  readonly queue = new KeyedQueue();
  private readonly runtimes = new Map<string, AppRuntime>();
  private readonly listeners = new Map<string, Set<ChangeListener>>();
  private readonly forgetters: Array<(id: string) => void> = [];

  constructor(
    readonly store: AppRecordStore,
    private readonly configs: AppConfigStore,
    private readonly bundled: BundledApps,
    /** What the API shows for an app (its state plus what only the facade knows, e.g. provenance). */
    private readonly describe: (runtime: AppRuntime) => AppStatus = toStatus,
  ) {}

  get(id: string): AppRuntime | undefined {
    return this.runtimes.get(id);
  }

  find(id: string): AppRuntime | undefined {
    return this.runtimes.get(id);
  }

  /** The app, or the NotFound the API answers for an unknown id. */
  require(id: string): AppRuntime {
    const runtime = this.runtimes.get(id);
    if (!runtime) throw notFound(id);
    return runtime;
  }

  has(id: string): boolean {
    return this.runtimes.has(id);
  }

  /** Every app, in id order. */
  all(): AppRuntime[] {
    return [...this.runtimes.values()].sort((a, b) => byCodeUnits(a.record.id, b.record.id));
  }

  adopt(runtime: AppRuntime): void {
    this.runtimes.set(runtime.record.id, runtime);
  }

  /** Also to be done when an app is forgotten (stop probing it, drop a pending restart). */
  onForget(forgetter: (id: string) => void): void {
    this.forgetters.push(forgetter);
  }

  /** Forgets an app (its record is the caller's to delete); tells the API it is gone. */
  forget(id: string): boolean {
    for (const forgetter of this.forgetters) forgetter(id);
    if (!this.runtimes.delete(id)) return false;
    this.events.emit('app-removed', { id });
    return true;
  }

  saveRecord(record: AppRecord): Promise<void> {
    return this.store.save(record);
  }

  deleteRecord(id: string): Promise<void> {
    return this.store.delete(id);
  }

  onQueue<T>(id: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(id, task);
  }

  statusOf(runtime: AppRuntime): AppStatus {
    return this.describe(runtime);
  }

  /** Tells the API (and anyone waiting on this app) that it changed. */
  publish(runtime: AppRuntime): void {
    this.events.emit('app-state', this.describe(runtime));
    for (const listener of this.listeners.get(runtime.record.id) ?? []) listener(runtime);
  }

  /** Calls `listener` at every change of app `id` until the returned function is called. */
  onChange(id: string, listener: ChangeListener): () => void {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id);
    };
  }

  /** A bundled manifest, parsed, with its text and file (the switch's target). */
  bundledManifest(id: string): ReturnType<BundledApps['manifest']> {
    return this.bundled.manifest(id);
  }

  /** The default config of a new app; a reinstall keeps the user's choices. */
  writeDefaultAppConfig(id: string): Promise<void> {
    return this.configs.writeDefault(id);
  }

  /** The installed apps as the resolver sees them. */
  installedApps(): InstalledApp[] {
    return [...this.runtimes.values()].map((runtime) => ({
      id: runtime.record.id,
      version: runtime.record.version,
      manifest: runtime.manifest,
      state: toStatus(runtime).state,
      ...(runtime.record.bindings ? { bindings: runtime.record.bindings } : {}),
    }));
  }

  /** The installed apps bound to `id` as a dependency. */
  dependentsOf(id: string): string[] {
    return [...this.runtimes.values()]
      .filter((other) => other.record.id !== id && Object.values(other.record.bindings ?? {}).includes(id))
      .map((other) => other.record.id);
  }

  /** The app (other than `except`) whose manifest publishes host port `port`/`protocol`. */
  appUsingPort(port: number, protocol: string, except: string): AppRuntime | undefined {
    return [...this.runtimes.values()].find(
      (other) =>
        other.record.id !== except &&
        (other.manifest.ports ?? []).some((p) => p.host === port && p.protocol === protocol),
    );
  }
}
