// The user's version preferences for one app, in DATA_DIR/app-configs/<id>.json (the layout is
// part of the external contract): a pinned version and whether auto-update is on. Auto-update is
// off unless the user turns it on — Bitcoin is consensus-critical software, updates are opt-in.
//
// Fields we don't know are kept as they are: the file may hold other per-app settings. The file
// is the user's as much as ours, so a field of the wrong type is refused with the file's name (a
// pin silently read as "no pin" would let a version the user pinned away from back in); a change
// (`update`) replaces such a file whole, as it always did.

import { z } from 'zod';
import { pathExists } from '../util/path-exists.js';
import { KeyedQueue } from '../util/keyed-queue.js';
import { JsonDirectory, StoredFileError, type JsonFormat } from '../util/json-store.js';
import type { DataLayout } from '../layout/index.js';

export interface AppConfig {
  pinnedVersion?: string;
  autoUpdate: boolean;
  /** A Bitcoin node's prune target in GB (what the node runs with is in its app record). */
  prune?: number;
  /** The user's choice for an app with `tor:`; absent: the manifest's default. */
  tor?: 'tor' | 'clearnet';
  /** Onion services the user added (`archy onion add`), beside the manifest's. */
  onions?: UserOnion[];
}

/** An onion the user asked for: a container port of the app's main service. */
export interface UserOnion {
  port: number;
  virtualPort?: number;
}

export interface AppConfigChange {
  /** A version pins it; null unpins; undefined leaves it as it is. */
  pinnedVersion?: string | null;
  autoUpdate?: boolean;
  /** GB; null: not pruning. */
  prune?: number | null;
  /** null: back to the manifest's default. */
  tor?: 'tor' | 'clearnet' | null;
  /** Replaces the user's onions (null: none). */
  onions?: UserOnion[] | null;
}

type StoredAppConfig = Record<string, unknown> & {
  pinnedVersion?: string;
  autoUpdate?: boolean;
  prune?: number;
  tor?: 'tor' | 'clearnet';
  onions?: UserOnion[];
};

// Version 1: every file written before versions were stamped. Loose: unknown keys are kept.
const APP_CONFIG_FORMAT: JsonFormat<StoredAppConfig> = {
  what: 'app config',
  schema: z.looseObject({
    pinnedVersion: z.string().optional(),
    autoUpdate: z.boolean().optional(),
    prune: z.number().optional(),
    tor: z.enum(['tor', 'clearnet']).optional(),
    onions: z
      .array(
        z.looseObject({
          port: z.number().int().min(1).max(65535),
          virtualPort: z.number().int().min(1).max(65535).optional(),
        }),
      )
      .optional(),
  }),
  version: 1,
  // Not a secret, and readable by the user's tools as it always was.
  mode: 0o644,
};

export class AppConfigStore {
  private readonly queue = new KeyedQueue();
  constructor(private readonly layout: DataLayout) {}

  private get files(): JsonDirectory<StoredAppConfig> {
    return new JsonDirectory(this.layout.appConfigsDir, APP_CONFIG_FORMAT);
  }

  async get(id: string): Promise<AppConfig> {
    return toConfig((await this.files.read(id)) ?? {});
  }

  /**
   * Writes the defaults (auto-update off) unless the app has a config already: a reinstall keeps
   * the user's choices.
   */
  writeDefault(id: string): Promise<void> {
    return this.queue.run(id, async () => {
      if (await pathExists(this.files.file(id).path)) return;
      await this.files.write(id, { autoUpdate: false });
    });
  }

  /** Applies a change atomically (read, modify, write on one queue per app) and returns the result. */
  update(id: string, change: AppConfigChange): Promise<AppConfig> {
    return this.queue.run(id, async () => {
      const raw = await this.readReplaceable(id);
      if (change.pinnedVersion === null) delete raw.pinnedVersion;
      else if (change.pinnedVersion !== undefined) raw.pinnedVersion = change.pinnedVersion;
      if (change.autoUpdate !== undefined) raw.autoUpdate = change.autoUpdate;
      if (change.prune === null) delete raw.prune;
      else if (change.prune !== undefined) raw.prune = change.prune;
      if (change.tor === null) delete raw.tor;
      else if (change.tor !== undefined) raw.tor = change.tor;
      if (change.onions === null || change.onions?.length === 0) delete raw.onions;
      else if (change.onions !== undefined) raw.onions = change.onions.map((onion) => ({ ...onion }));
      raw.autoUpdate ??= false;
      await this.files.write(id, raw);
      return toConfig(raw);
    });
  }

  /** The stored fields, or none when there is no file or it is not valid (the write replaces it whole). */
  private async readReplaceable(id: string): Promise<StoredAppConfig> {
    try {
      return (await this.files.read(id)) ?? {};
    } catch (error) {
      if (error instanceof StoredFileError) return {};
      throw error;
    }
  }
}

function toConfig(raw: StoredAppConfig): AppConfig {
  return {
    autoUpdate: raw.autoUpdate === true,
    ...(typeof raw.pinnedVersion === 'string' &&
      raw.pinnedVersion !== '' && { pinnedVersion: raw.pinnedVersion }),
    ...(typeof raw.prune === 'number' && raw.prune > 0 && { prune: raw.prune }),
    ...(raw.tor !== undefined && { tor: raw.tor }),
    ...(raw.onions !== undefined &&
      raw.onions.length > 0 && {
        onions: raw.onions.map(({ port, virtualPort }) => ({
          port,
          ...(virtualPort !== undefined && { virtualPort }),
        })),
      }),
  };
}
