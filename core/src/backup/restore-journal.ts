// The restore journal, `backups/restore-journal.json`: what a restore has done, written before each
// step, so a daemon killed in the middle finds it at the next start and converges (restore-recovery.ts).
//
// A restore has two halves. While `state` is `staging`, restic is writing the snapshot into
// `backups/restore-<job>/snapshot/` and nothing of the node has been touched: recovery throws the
// staging away. Once the snapshot is whole and its backup.json read, `state` turns `applying` and
// each app walks the steps below, in order; the journal names the last step that finished.
//
//   pending      nothing done for this app yet
//   removed      its old containers and record are gone (its data, secrets and config are not)
//   swapped-out  its old data, secrets and config are in `restore-<job>/old/` (the live paths are empty)
//   swapped-in   the restored data, secrets (re-encrypted) and config are at the live paths
//   installed    installed through the orchestrator at the recorded version, started as recorded
//   done         its old data deleted; nothing left to do
//   rolled-back  the restore of this app was undone: its old data, secrets, config and app are back
//
// The order of the steps is what makes every one safe to run again: a path is moved out only
// before `swapped-out` is written (so the live path holds only old things then), and in only after.

import { join } from 'node:path';
import { z } from 'zod';
import type { DataLayout } from '../layout/index.js';
import { APP_ID_PATTERN } from '../util/app-id.js';
import { JsonFile, type JsonFormat } from '../util/json-store.js';

export const RESTORE_APP_STEPS = [
  'pending',
  'removed',
  'swapped-out',
  'swapped-in',
  'installed',
  'done',
  'rolled-back',
] as const;
export type RestoreAppStep = (typeof RESTORE_APP_STEPS)[number];

const restoreAppSchema = z.object({
  id: z.string().regex(APP_ID_PATTERN),
  step: z.enum(RESTORE_APP_STEPS),
  /** The app was installed before the restore (its record is kept in `old/records/<id>.json`). */
  replaced: z.boolean(),
  /** Why this app's restore failed, once it did (it is then rolled back). */
  error: z.string().optional(),
});
export type RestoreAppEntry = z.infer<typeof restoreAppSchema>;

const restoreJournalSchema = z.object({
  /** Names the staging folder `backups/restore-<job>/`. */
  job: z.string().regex(/^[a-z0-9-]{1,64}$/),
  /** The snapshot being restored (restic's id; `latest` resolved). */
  snapshot: z.string(),
  state: z.enum(['staging', 'applying']),
  /** In the order they are applied (providers before the apps that depend on them). */
  apps: z.array(restoreAppSchema),
  startedAt: z.string(),
  updatedAt: z.string(),
});
export type RestoreJournalEntry = z.infer<typeof restoreJournalSchema>;

const RESTORE_JOURNAL_FORMAT: JsonFormat<RestoreJournalEntry> = {
  what: 'restore journal',
  schema: restoreJournalSchema,
  version: 1,
};

/** Where a restore job keeps its files, all under `backups/restore-<job>/` (same disk as apps/). */
export class RestoreStaging {
  constructor(
    readonly layout: DataLayout,
    readonly job: string,
  ) {}

  /** `backups/restore-<job>/`. */
  get root(): string {
    return join(this.layout.backupsDir, `restore-${this.job}`);
  }

  /** What restic restored: the snapshot's tree, paths relative to a data dir. */
  get snapshotDir(): string {
    return join(this.root, 'snapshot');
  }

  /** The old data, secrets, config and record of each replaced app, until it is deleted or put back. */
  get oldDir(): string {
    return join(this.root, 'old');
  }

  /** An app's data in the restored snapshot (`apps/<id>/`). */
  restoredAppDir(id: string): string {
    return join(this.snapshotDir, 'apps', id);
  }

  restoredAppConfig(id: string): string {
    return join(this.snapshotDir, 'app-configs', `${id}.json`);
  }

  oldAppDir(id: string): string {
    return join(this.oldDir, 'apps', id);
  }

  oldSecretsDir(id: string): string {
    return join(this.oldDir, 'secrets', id);
  }

  oldAppConfig(id: string): string {
    return join(this.oldDir, 'app-configs', `${id}.json`);
  }

  oldRecord(id: string): string {
    return join(this.oldDir, 'records', `${id}.json`);
  }
}

/** The one journal of the node's one restore (a second restore is refused while it exists). */
export class RestoreJournal {
  private readonly file: JsonFile<RestoreJournalEntry>;

  constructor(readonly layout: DataLayout) {
    this.file = new JsonFile(join(layout.backupsDir, 'restore-journal.json'), RESTORE_JOURNAL_FORMAT);
  }

  get path(): string {
    return this.file.path;
  }

  read(): Promise<RestoreJournalEntry | undefined> {
    return this.file.read();
  }

  async write(entry: Omit<RestoreJournalEntry, 'updatedAt'>): Promise<RestoreJournalEntry> {
    const full = { ...entry, updatedAt: new Date().toISOString() };
    await this.file.write(full);
    return full;
  }

  /** Records that `id` finished `step` (and why it failed, when it did). */
  async advance(
    entry: RestoreJournalEntry,
    id: string,
    step: RestoreAppStep,
    error?: string,
  ): Promise<RestoreJournalEntry> {
    const apps = entry.apps.map((app) =>
      app.id === id ? { ...app, step, ...(error !== undefined && { error }) } : app,
    );
    return this.write({ ...entry, apps });
  }

  clear(): Promise<void> {
    return this.file.remove();
  }
}
