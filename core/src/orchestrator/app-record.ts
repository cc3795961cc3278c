import { z } from 'zod';
import {
  BITCOIN_NETWORKS,
  type AdoptedData,
  type BitcoinSettings,
  type ImportedOrigin,
} from '../kernel/index.js';
import { APP_ID_PATTERN } from '../util/app-id.js';
import { JsonDirectory, StoredFileError, type JsonFormat } from '../util/json-store.js';
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
  /**
   * Data adopted in place (`package.adopt`): these volumes are host folders outside the data dir,
   * owned by the container's user while the app exists, given back to `originalOwner` on release.
   */
  adopted?: AdoptedData;
  /**
   * An imported app (its manifest has `origin:`) the user confirmed installing: the digest-pinned
   * images it confirmed are the only unsigned content this app may ever run (starts, recreates).
   */
  imported?: ImportedApp;
}

/** What the user accepted when installing an imported app (`confirmImported`). */
export interface ImportedApp {
  origin: ImportedOrigin;
  confirmedAt: string;
  /** The digest references (`repo@sha256:…`) confirmed, every service's. */
  images: string[];
}

// The stored format (state/apps/<id>.json; external tools read it, so its keys stay as they
// are). Version 1: every record written before versions were stamped. Listing every key here is
// what keeps a save from dropping one: app-record.spec.ts round-trips a record with all of them.
const appRecordSchema = z.object({
  id: z.string().regex(APP_ID_PATTERN),
  manifestYaml: z.string(),
  manifestFile: z.string(),
  version: z.string(),
  image: z.string(),
  runImage: z.string().optional(),
  phase: z.enum(['installing', 'installed']),
  desired: z.enum(['running', 'stopped']),
  installedAt: z.string(),
  containerId: z.string().optional(),
  createdDataDir: z.boolean(),
  bindings: z.record(z.string(), z.string()).optional(),
  firstStartArgs: z.object({ args: z.array(z.string()), spent: z.boolean() }).optional(),
  catalogDigest: z.string().optional(),
  bitcoin: z
    .object({ network: z.enum(BITCOIN_NETWORKS), prune: z.number().positive().optional() })
    .optional(),
  imported: z
    .object({
      origin: z.object({
        kind: z.enum(['umbrel', 'parmanode']),
        app: z.string(),
        upstreamVersion: z.string(),
        source: z.string().optional(),
      }),
      confirmedAt: z.string(),
      images: z.array(z.string()),
    })
    .optional(),
  adopted: z
    .object({
      source: z.object({ kind: z.literal('parmanode'), home: z.string(), entry: z.string() }),
      volumes: z.record(z.string(), z.string().startsWith('/')),
      originalOwner: z.object({ uid: z.number().int(), gid: z.number().int() }),
      hostServices: z.array(z.object({ kind: z.enum(['systemd', 'process']), name: z.string() })),
      adoptedAt: z.string(),
    })
    .optional(),
}) satisfies z.ZodType<AppRecord>;

export const APP_RECORD_FORMAT: JsonFormat<AppRecord> = {
  what: 'app record',
  schema: appRecordSchema,
  version: 1,
};

/** One JSON file per app, written atomically, so apps never contend for one global file. */
export class AppRecordStore {
  constructor(private readonly layout: DataLayout) {}

  // Built on use: a store made for a daemon without a data dir (some API tests) never touches one.
  private get files(): JsonDirectory<AppRecord> {
    return new JsonDirectory(this.layout.appRecordsDir, APP_RECORD_FORMAT);
  }

  // Every record read or written binds its adopted volumes in the layout (and a delete unbinds
  // them): the layout's volumeDir then answers from the record, for every caller.
  private bind(record: AppRecord | undefined): AppRecord | undefined {
    if (record) this.layout.bindVolumes(record.id, record.adopted?.volumes);
    return record;
  }

  async save(record: AppRecord): Promise<void> {
    this.bind(record);
    await this.files.write(record.id, record);
  }

  async delete(id: string): Promise<void> {
    await this.files.remove(id);
    this.layout.bindVolumes(id, undefined);
  }

  /** The app's record, or undefined; a file that is not a valid record throws StoredFileError (path, problem). */
  async load(id: string): Promise<AppRecord | undefined> {
    return this.bind(await this.files.read(id));
  }

  /**
   * Every record. A file that is not a valid record throws StoredFileError naming it and what is
   * wrong: the boot stops with that message rather than treat the app as gone (which would remove
   * its container as a leftover). See loadAllChecked for the per-file answer.
   */
  async loadAll(): Promise<AppRecord[]> {
    const { records, invalid } = await this.loadAllChecked();
    if (invalid[0]) throw invalid[0].error;
    return records;
  }

  /** Every valid record, and apart from them each file that is not one (its app id and why). */
  async loadAllChecked(): Promise<{
    records: AppRecord[];
    invalid: Array<{ id: string; error: StoredFileError }>;
  }> {
    const records: AppRecord[] = [];
    const invalid: Array<{ id: string; error: StoredFileError }> = [];
    for (const id of await this.files.keys()) {
      try {
        const record = this.bind(await this.files.read(id));
        if (record !== undefined) records.push(record);
      } catch (error) {
        if (!(error instanceof StoredFileError)) throw error;
        invalid.push({ id, error });
      }
    }
    return { records, invalid };
  }
}
