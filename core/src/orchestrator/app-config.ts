// The user's version preferences for one app, in DATA_DIR/app-configs/<id>.json (the layout is
// part of the external contract): a pinned version and whether auto-update is on. Auto-update is
// off unless the user turns it on — Bitcoin is consensus-critical software, updates are opt-in.
//
// Fields we don't know are kept as they are: the file may hold other per-app settings.

import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-file.js';
import { KeyedQueue } from '../util/keyed-queue.js';
import type { DataLayout } from '../layout/index.js';

export interface AppConfig {
  pinnedVersion?: string;
  autoUpdate: boolean;
  /** A Bitcoin node's prune target in GB (what the node runs with is in its app record). */
  prune?: number;
}

export interface AppConfigChange {
  /** A version pins it; null unpins; undefined leaves it as it is. */
  pinnedVersion?: string | null;
  autoUpdate?: boolean;
  /** GB; null: not pruning. */
  prune?: number | null;
}

export class AppConfigStore {
  private readonly queue = new KeyedQueue();

  constructor(private readonly layout: DataLayout) {}

  async get(id: string): Promise<AppConfig> {
    return toConfig(await this.readRaw(id));
  }

  /** Applies a change atomically (read, modify, write on one queue per app) and returns the result. */
  update(id: string, change: AppConfigChange): Promise<AppConfig> {
    return this.queue.run(id, async () => {
      const raw = await this.readRaw(id);
      if (change.pinnedVersion === null) delete raw.pinnedVersion;
      else if (change.pinnedVersion !== undefined) raw.pinnedVersion = change.pinnedVersion;
      if (change.autoUpdate !== undefined) raw.autoUpdate = change.autoUpdate;
      if (change.prune === null) delete raw.prune;
      else if (change.prune !== undefined) raw.prune = change.prune;
      raw.autoUpdate ??= false;
      await writeFileAtomic(this.layout.appConfigFile(id), `${JSON.stringify(raw, null, 2)}\n`, 0o644);
      return toConfig(raw);
    });
  }

  private async readRaw(id: string): Promise<Record<string, unknown>> {
    try {
      const json: unknown = JSON.parse(await readFile(this.layout.appConfigFile(id), 'utf8'));
      return typeof json === 'object' && json !== null && !Array.isArray(json)
        ? (json as Record<string, unknown>)
        : {};
    } catch (error) {
      // A missing file is the default; an unreadable one too (the next write replaces it whole).
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return {};
      throw error;
    }
  }
}

function toConfig(raw: Record<string, unknown>): AppConfig {
  return {
    autoUpdate: raw.autoUpdate === true,
    ...(typeof raw.pinnedVersion === 'string' &&
      raw.pinnedVersion !== '' && { pinnedVersion: raw.pinnedVersion }),
    ...(typeof raw.prune === 'number' && raw.prune > 0 && { prune: raw.prune }),
  };
}
