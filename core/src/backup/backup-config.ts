// `backups/config.json` (mode 0600, in a 0700 folder: a REST target may hold a password): which
// target this node backs up to and whether the user confirmed they kept the key. The key itself is
// not here — the node keeps it sealed under its master key (backup-key.ts).

import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { DataLayout } from '../layout/index.js';
import { JsonFile, type JsonFormat } from '../util/json-store.js';

export interface BackupConfig {
  /** The repository as restic takes it (a path, `rest:…`, `sftp:…`), unmasked. */
  target: string;
  initializedAt: string;
  /** The user typed the key's last group back (or said `--confirm-key-saved`). */
  keyConfirmed: boolean;
}

const format: JsonFormat<BackupConfig> = {
  what: 'backup configuration',
  version: 1,
  mode: 0o600,
  schema: z.object({
    target: z.string().min(1),
    initializedAt: z.string(),
    keyConfirmed: z.boolean(),
  }),
};

export class BackupConfigStore {
  private readonly file: JsonFile<BackupConfig>;

  constructor(private readonly layout: DataLayout) {
    this.file = new JsonFile(join(layout.backupsDir, 'config.json'), format);
  }

  get path(): string {
    return this.file.path;
  }

  read(): Promise<BackupConfig | undefined> {
    return this.file.read();
  }

  async write(config: BackupConfig): Promise<void> {
    await mkdir(this.layout.backupsDir, { recursive: true, mode: 0o700 });
    await chmod(this.layout.backupsDir, 0o700);
    await this.file.write(config);
  }
}
