import { readdir, readFile, rm } from 'node:fs/promises';
import type { BitcoinSettings } from '../kernel/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { DataLayout } from '../layout/index.js';
import type { FirstStartArgs } from './first-start-args.js';

/**
 * What the daemon remembers about an installed app: the desired state survives daemon
 * restarts; everything observable (running? healthy?) is re-read from Podman instead.
 */
export interface AppRecord {
  id: string;
  /** The manifest as the user gave it; re-parsed on load so schema fixes apply. */
  manifestYaml: string;
  manifestFile: string;
  version: string;
  image: string;
  /** What the container runs: the image's verified digest reference (or the tag, in dev mode). */
  runImage?: string;
  /**
   * `installing` until the container has started once: a record found in this phase at boot is
   * an interrupted install, and is rolled back.
   */
  phase: 'installing' | 'installed';
  desired: 'running' | 'stopped';
  installedAt: string;
  containerId?: string;
  /** Whether this install created the data dir, so a rollback may delete it (and only then). */
  createdDataDir: boolean;
  /**
   * Which app each dependency resolved to at install (requested name → app id), so the app keeps
   * the provider it was set up with when a second one is installed.
   */
  bindings?: Record<string, string>;
  /**
   * `-reindex`/`-reindex-chainstate` the container was created with for the first start after a
   * version change; dropped (the container recreated without them) once the app was healthy.
   */
  firstStartArgs?: FirstStartArgs;
  /** The manifest digest the signed catalog pins for this version: the only content it may run. */
  catalogDigest?: string;
  /**
   * A Bitcoin node's chain and pruning as the user chose them (install, later `config --prune`);
   * applied over the manifest's own on every load. Absent: the manifest's settings.
   */
  bitcoin?: BitcoinSettings;
}

/** One JSON file per app, written atomically, so apps never contend for one global file. */
export class AppRecordStore {
  constructor(private readonly layout: DataLayout) {}

  async save(record: AppRecord): Promise<void> {
    await writeFileAtomic(this.layout.appRecordFile(record.id), `${JSON.stringify(record, null, 2)}\n`);
  }

  async delete(id: string): Promise<void> {
    await rm(this.layout.appRecordFile(id), { force: true });
  }

  async load(id: string): Promise<AppRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.layout.appRecordFile(id), 'utf8')) as AppRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async loadAll(): Promise<AppRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.layout.appRecordsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records: AppRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      const text = await readFile(`${this.layout.appRecordsDir}/${name}`, 'utf8');
      records.push(JSON.parse(text) as AppRecord);
    }
    return records;
  }
}
