// A fake of the daemon and its host for the version-change specs: an in-memory model of what
// AppOperations acts on — app records, containers, networks, stored secrets and data dirs (which
// survive a daemon crash) and the daemon's runtimes (which do not) — plus a model of the boot
// sequence (Orchestrator.reconcile) that runs the recovery. Only the version-change code is real,
// and the intent journal, which writes its real files into a temp dir.
//
// A crash is modelled as the daemon dying: at the chosen effect (or right after the journal
// records a chosen step) the call throws Crash, and from then on every call does, so no `catch`
// in the code under test can carry on as if it were alive. `boot()` is the next daemon start.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { DatadirFacts } from '../bitcoin/index.js';
import type { CatalogApp, CatalogVersion } from '../catalog/index.js';
import { parseManifest, type AppManifest } from '../manifest/index.js';
import type { AppConfig } from '../orchestrator/app-config.js';
import type { AppRecord } from '../orchestrator/app-record.js';
import type { AppRuntime, ObservedContainer } from '../orchestrator/app-runtime.js';
import type { AppOperations } from './app-operations.js';
import { datadirFacts } from '../bitcoin/spec-datadir-facts.js';
import { IntentJournal, type Intent, type IntentInput } from './intent-journal.js';
import { VersionSwitch } from './version-switch.js';

/** The daemon died here. */
export class Crash extends Error {
  constructor(where: string) {
    super(`crashed at ${where}`);
    this.name = 'Crash';
  }
}

export interface FakeContainer {
  id: string;
  version: string;
  running: boolean;
  args: string[];
}

/** The bundled manifests of the two Bitcoin nodes, as shipped in apps/. */
export async function bundledManifests(): Promise<
  Record<string, { manifest: AppManifest; yaml: string; file: string }>
> {
  const result: Record<string, { manifest: AppManifest; yaml: string; file: string }> = {};
  for (const id of ['bitcoin-core', 'bitcoin-knots']) {
    const file = fileURLToPath(new URL(`../../../apps/${id}/manifest.yml`, import.meta.url));
    const yaml = await readFile(file, 'utf8');
    result[id] = { manifest: parseManifest(yaml, file), yaml, file };
  }
  return result;
}

/** A catalog entry offering `versions` (the first is the default) in the manifest's repository. */
export function catalogEntry(id: string, versions: string[]): CatalogApp {
  const entries: CatalogVersion[] = versions.map((version, index) => ({
    version,
    image: `localhost/archipelago/${id}:${version}`,
    default: index === 0,
    deprecated: false,
  }));
  return { id, version: versions[0]!, image: `localhost/archipelago/${id}`, versions: entries };
}

const clone = <T>(value: T): T => structuredClone(value);

export class FakeNode {
  // ---- the host: survives a crash ----
  readonly records = new Map<string, AppRecord>();
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Set<string>();
  /** App id → the data dir's content (one string stands for the whole tree). */
  readonly dataDirs = new Map<string, string>();
  readonly secrets = new Map<string, Record<string, string>>();
  /** Datadir markers written (app id@version), for information. */
  readonly markers: string[] = [];
  /** Every app id@version that was ever started: a version that ran may have upgraded the data. */
  readonly ran = new Set<string>();
  // ---- the daemon: lost in a crash ----
  runtimes = new Map<string, AppRuntime>();

  /** Whether a container of `version` of app `id` becomes healthy once started. */
  healthy: (id: string, version: string) => boolean = () => true;
  /** Die at this effect (counting from 1); undefined: live on. */
  crashAtEffect: number | undefined;
  /** Die right after the journal records this step (the test hook's pause point). */
  crashAfterStep: string | undefined;
  effects = 0;
  private dead = false;
  private containerSerial = 0;
  readonly journal: IntentJournal;

  constructor(
    dataDir: string,
    private readonly manifests: Record<string, { manifest: AppManifest; yaml: string; file: string }>,
    private readonly catalog: Record<string, CatalogApp>,
  ) {
    this.journal = new FakeNodeJournal(dataDir, {
      beforeChange: (what) => this.effect(what),
      afterWrite: (step) => {
        if (this.crashAfterStep === step) this.die(`step ${step}`);
      },
    });
  }

  /** An installed app: its record, its running container of `version`, its data. */
  install(id: string, version: string, data: string): void {
    const { yaml, file } = this.manifests[id]!;
    this.records.set(id, {
      id,
      manifestYaml: yaml,
      manifestFile: file,
      version,
      image: `localhost/archipelago/${id}:${version}`,
      runImage: `sha256:${id}-${version}`,
      phase: 'installed',
      desired: 'running',
      installedAt: '2026-01-01T00:00:00.000Z',
      createdDataDir: true,
    });
    this.containers.set(id, { id: this.nextContainerId(), version, running: true, args: [] });
    this.networks.add(id);
    this.dataDirs.set(id, data);
    this.secrets.set(id, { rpcauth: `auth-of-${id}` });
  }

  /** A daemon made with this node's fakes (a new one after each crash). */
  daemon(): VersionSwitch {
    return new VersionSwitch({
      // One fake plays both halves: the daemon's bookkeeping and the host's effects.
      registry: this.ops(),
      effects: this.ops(),
      catalog: { entry: (id) => this.catalog[id] },
      configs: { get: (): Promise<AppConfig> => Promise.resolve({ autoUpdate: false }) },
      journal: this.journal,
      bitcoinDatadirs: {
        inspect: (manifest, owner) => Promise.resolve(this.facts(manifest, owner)),
        markRan: (_manifest, owner, version) => {
          this.effect(`marker ${owner}`);
          this.markers.push(`${owner}@${version}`);
          return Promise.resolve();
        },
      },
      pause: () => Promise.resolve(),
      log: () => undefined,
    });
  }

  /**
   * The next daemon start, as Orchestrator.reconcile runs it: settle switches, then per record
   * (in id order) recoverBefore → bring the app to its desired state → recoverAfter, and last
   * settle switches rolled forward. Returns the daemon that booted.
   */
  async boot(): Promise<VersionSwitch> {
    this.dead = false;
    this.runtimes = new Map();
    const daemon = this.daemon();
    await daemon.recoverSwitches({ load: (id) => Promise.resolve(this.loadRecord(id)) });
    const switches: Array<{ target: AppRuntime; intent: Intent }> = [];
    for (const id of [...this.records.keys()].sort()) {
      const record = this.loadRecord(id)!;
      const pending = await daemon.recoverBefore(record);
      this.reconcileApp(record);
      const runtime = this.runtimes.get(id);
      if (pending && runtime && pending.op === 'switch-implementation')
        switches.push({ target: runtime, intent: pending });
      else if (pending && runtime) await daemon.recoverAfter(runtime, pending);
    }
    for (const { target, intent } of switches) await daemon.settleRecoveredSwitch(target, intent);
    return daemon;
  }

  /** The daemon before any crash (or a later one, without a crash): runtimes from the records. */
  async start(): Promise<VersionSwitch> {
    return this.boot();
  }

  private loadRecord(id: string): AppRecord | undefined {
    const record = this.records.get(id);
    return record && clone(record);
  }

  /** Orchestrator.reconcileApp, reduced to what the model has: adopt, create if missing, start or stop. */
  private reconcileApp(record: AppRecord): void {
    const runtime: AppRuntime = { record, manifest: this.manifestOf(record.id), restartCount: 0 };
    this.runtimes.set(record.id, runtime);
    const container = this.containers.get(record.id);
    runtime.container = container && observed(container);
    if (record.desired === 'running' && !container?.running) {
      if (!container) {
        const args = record.firstStartArgs && !record.firstStartArgs.spent ? record.firstStartArgs.args : [];
        this.createContainer(runtime, args);
      }
      this.startContainer(runtime);
    } else if (record.desired === 'stopped' && container?.running) {
      this.effect(`stop ${record.id}`);
      container.running = false;
      runtime.container = observed(container);
    }
  }

  private manifestOf(id: string): AppManifest {
    return this.manifests[id]!.manifest;
  }

  private facts(manifest: AppManifest, owner: string): DatadirFacts {
    return datadirFacts({
      datadir: this.dataDir(owner),
      exists: this.dataDirs.has(owner),
      network: manifest.bitcoin?.network ?? 'mainnet',
    });
  }

  private dataDir(id: string): string {
    return `/fake/data/apps/${id}`;
  }

  private nextContainerId(): string {
    this.containerSerial += 1;
    return `container-${this.containerSerial}`;
  }

  /** Every call that changes the host (or the journal) may be the one the daemon dies at. */
  private effect(what: string): void {
    this.alive();
    this.effects += 1;
    if (this.crashAtEffect !== undefined && this.effects >= this.crashAtEffect) this.die(what);
  }

  private alive(): void {
    if (this.dead) throw new Crash('a call after the crash');
  }

  private die(where: string): never {
    this.dead = true;
    this.crashAtEffect = undefined;
    this.crashAfterStep = undefined;
    throw new Crash(where);
  }

  private createContainer(runtime: AppRuntime, args: readonly string[]): void {
    const id = runtime.record.id;
    this.effect(`create ${id}`);
    if (this.containers.has(id)) throw new Error(`the container name of ${id} is already in use`);
    this.networks.add(id);
    const container = {
      id: this.nextContainerId(),
      version: runtime.record.version,
      running: false,
      args: [...args],
    };
    this.containers.set(id, container);
    runtime.container = observed(container);
  }

  private startContainer(runtime: AppRuntime): void {
    const id = runtime.record.id;
    this.effect(`start ${id}`);
    const container = this.containers.get(id);
    if (!container) throw new Error(`no container for ${id}`);
    container.running = true;
    this.ran.add(`${id}@${container.version}`);
    runtime.container = observed(container);
    runtime.health = undefined;
  }

  private saveRecord(record: AppRecord): void {
    this.effect(`save ${record.id}`);
    this.records.set(record.id, clone(record));
  }

  ops(): AppOperations {
    return {
      find: (id) => (this.alive(), this.runtimes.get(id)),
      onQueue: (_id, task) => task(),
      saveRecord: async (record) => this.saveRecord(record),
      deleteRecord: async (id) => {
        this.effect(`delete record ${id}`);
        this.records.delete(id);
      },
      adopt: (runtime) => void this.runtimes.set(runtime.record.id, runtime),
      forget: (id) => void this.runtimes.delete(id),
      publish: () => undefined,
      dependentsOf: () => [],
      bundledManifest: async (id) => clone(this.manifests[id]!),
      writeDefaultAppConfig: async (id) => this.effect(`config ${id}`),
      stopContainer: async (runtime) => {
        this.effect(`stop ${runtime.record.id}`);
        const container = this.containers.get(runtime.record.id);
        if (container) container.running = false;
        runtime.container = container && observed(container);
      },
      removeContainer: async (id) => {
        this.effect(`remove ${id}`);
        this.containers.delete(id);
        const runtime = this.runtimes.get(id);
        if (runtime) runtime.container = undefined;
      },
      removeNetwork: async (id) => {
        this.effect(`remove network ${id}`);
        this.networks.delete(id);
      },
      createContainer: async (runtime, extraArgs) => {
        this.createContainer(runtime, extraArgs);
        if (extraArgs.length > 0) runtime.record.firstStartArgs = { args: [...extraArgs], spent: false };
        else delete runtime.record.firstStartArgs;
        runtime.record.containerId = runtime.container!.id;
        this.saveRecord(runtime.record);
      },
      dropFirstStartArgs: async (runtime) => {
        const id = runtime.record.id;
        if (!runtime.record.firstStartArgs) return;
        this.effect(`recreate ${id} without its first-start args`);
        const container = this.containers.get(id);
        if (container) container.args = [];
        delete runtime.record.firstStartArgs;
        this.saveRecord(runtime.record);
      },
      startContainer: async (runtime) => this.startContainer(runtime),
      waitUntilHealthy: async (runtime) => {
        this.alive();
        const container = this.containers.get(runtime.record.id);
        if (container?.running && this.healthy(runtime.record.id, container.version)) return { ok: true };
        return { ok: false, why: 'its health check failed' };
      },
      lastLogs: async () => (this.alive(), []),
      provideImage: async (runtime, target) => {
        this.effect(`image ${runtime.record.id} ${target.version}`);
        return `sha256:${runtime.record.id}-${target.version}`;
      },
      containerVersion: async (id) => (this.alive(), this.containers.get(id)?.version),
      copySecrets: async (from, to) => {
        this.effect(`copy secrets ${from} → ${to}`);
        this.secrets.set(to, { ...this.secrets.get(from) });
      },
      removePodmanSecrets: async (id) => this.effect(`remove podman secrets ${id}`),
      appDataDir: (id) => this.dataDir(id),
      hasAppData: async (id) => (this.alive(), this.dataDirs.has(id)),
      appDataEmpty: async (id) => (this.alive(), (this.dataDirs.get(id) ?? '') === ''),
      clearEmptyAppData: async (id) => {
        this.effect(`clear empty data ${id}`);
        if (!this.dataDirs.has(id)) return true;
        if (this.dataDirs.get(id) !== '') return false;
        this.dataDirs.delete(id);
        return true;
      },
      moveAppData: async (fromId, toId) => {
        this.effect(`move data ${fromId} → ${toId}`);
        const data = this.dataDirs.get(fromId);
        // rename(2): the source must exist, and a target that holds anything is not replaced.
        if (data === undefined) throw new Error(`ENOENT: rename ${this.dataDir(fromId)}`);
        if (this.dataDirs.get(toId)) throw new Error(`ENOTEMPTY: rename onto ${this.dataDir(toId)}`);
        this.dataDirs.delete(fromId);
        this.dataDirs.set(toId, data);
      },
    };
  }
}

/** The real journal (files in a temp dir), whose writes are effects the daemon may die at. */
class FakeNodeJournal extends IntentJournal {
  constructor(
    dataDir: string,
    private readonly hooks: { beforeChange(what: string): void; afterWrite(step: string): void },
  ) {
    super(dataDir);
  }

  override async write(intent: IntentInput): Promise<Intent> {
    this.hooks.beforeChange(`journal ${intent.step}`);
    const written = await super.write(intent);
    this.hooks.afterWrite(intent.step);
    return written;
  }

  override async clear(app: string): Promise<void> {
    this.hooks.beforeChange(`journal clear ${app}`);
    await super.clear(app);
  }
}

function observed(container: FakeContainer): ObservedContainer {
  return { id: container.id, running: container.running };
}
