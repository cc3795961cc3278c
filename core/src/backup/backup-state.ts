// `backups/state.json` (0600): how the last jobs ended, kept across daemon restarts so
// `archy backup status` and the UI can say it. The schedule keeps its own file
// (`schedule-state.json`, schedule-store.ts); unknown fields here are kept as they are.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { BackupResult } from '../kernel/index.js';
import type { DataLayout } from '../layout/index.js';
import { JsonFile, type JsonFormat } from '../util/json-store.js';

const resultSchema = z.object({
  job: z.enum(['create', 'verify', 'restore', 'prune']),
  ok: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  snapshot: z.string().optional(),
  apps: z.array(z.string()),
  message: z.string().optional(),
});

export interface BackupStateFile {
  last?: BackupResult;
  lastSuccess?: BackupResult;
  [other: string]: unknown;
}

const format: JsonFormat<BackupStateFile> = {
  what: 'backup state',
  version: 1,
  mode: 0o600,
  schema: z
    .object({ last: resultSchema.optional(), lastSuccess: resultSchema.optional() })
    .catchall(z.unknown()) as z.ZodType<BackupStateFile>,
};

export class BackupStateStore {
  private readonly file: JsonFile<BackupStateFile>;

  constructor(private readonly layout: DataLayout) {
    this.file = new JsonFile(join(layout.backupsDir, 'state.json'), format);
  }

  async read(): Promise<BackupStateFile> {
    return (await this.file.read()) ?? {};
  }

  /** Merges `change` into what is stored (other parts' fields stay). */
  async update(change: Partial<BackupStateFile>): Promise<void> {
    await mkdir(this.layout.backupsDir, { recursive: true, mode: 0o700 });
    const current = await this.read();
    await this.file.write({ ...current, ...change });
  }

  /** Records how a job ended: `last` always, `lastSuccess` when it worked. */
  async recordResult(result: BackupResult): Promise<void> {
    await this.update({ last: result, ...(result.ok && { lastSuccess: result }) });
  }
}
