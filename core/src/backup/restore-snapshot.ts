// What a restore reads from a snapshot restored into staging: `archy-backup/backup.json` (which
// apps, at which versions, wanted running or not) and, per app, its record and its secrets.
// Everything is validated before the node is touched: a snapshot whose metadata does not read
// is refused whole, with the file and what is wrong.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { APP_RECORD_FORMAT, type AppRecord } from '../orchestrator/app-record.js';
import { APP_ID_PATTERN } from '../util/app-id.js';
import { decodeDocument } from '../util/json-store.js';
import { snapshotPaths, type SnapshotApp } from './snapshot-layout.js';

const backupJsonSchema = z.object({
  format: z.literal(1),
  createdAt: z.string(),
  node: z.object({ hostname: z.string() }).passthrough(),
  apps: z.array(
    z
      .object({
        id: z.string().regex(APP_ID_PATTERN),
        version: z.string(),
        desired: z.enum(['running', 'stopped']),
        includesChain: z.boolean(),
        manifest: z.enum(['bundled', 'catalog', 'file']),
      })
      .passthrough(),
  ),
});
export type BackupJson = z.infer<typeof backupJsonSchema>;

const secretsSchema = z.record(z.string(), z.string());

/** One app as the staging holds it. */
export interface RestoredApp {
  meta: SnapshotApp;
  record: AppRecord;
  /** Secret name → value, in plain text (restic encrypted them in the target). */
  secrets: Record<string, string>;
}

/** The snapshot's backup.json; refused with a one-line reason when it is missing or malformed. */
export async function readBackupJson(snapshotDir: string): Promise<BackupJson> {
  const path = join(snapshotDir, snapshotPaths.backupFile);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      'the snapshot holds no archy-backup/backup.json: it was not made by archy backup create; ' +
        'pick another with: archy backup list',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = backupJsonSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `the snapshot's archy-backup/backup.json is not one this node reads` +
        (issue ? ` (${issue.path.join('.') || 'file'}: ${issue.message})` : '') +
        '; it was made by another version of Archipelago or is damaged: run archy backup verify --read-data',
    );
  }
  return result.data;
}

/** The records of the snapshot's apps, validated as the record store validates its own. */
export async function readRecords(
  snapshotDir: string,
  ids: readonly string[],
): Promise<Map<string, AppRecord>> {
  const records = new Map<string, AppRecord>();
  for (const id of ids) {
    const path = join(snapshotDir, snapshotPaths.record(id));
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const record = decodeDocument(APP_RECORD_FORMAT, path, text);
    if (record.id !== id) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `the snapshot's record of '${id}' names '${record.id}'; the snapshot is damaged: run archy backup verify --read-data`,
      );
    }
    records.set(id, record);
  }
  return records;
}

/** An app's metadata, record and secrets as the staging holds them. */
export async function readRestoredApp(snapshotDir: string, id: string): Promise<RestoredApp> {
  const backup = await readBackupJson(snapshotDir);
  const meta = backup.apps.find((app) => app.id === id);
  const record = (await readRecords(snapshotDir, [id])).get(id);
  if (!meta || !record) {
    throw new ArchyError(RpcErrorCode.InvalidParams, `the restored snapshot holds no record of '${id}'`);
  }
  const path = join(snapshotDir, snapshotPaths.secrets(id));
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const secrets = text === undefined ? {} : secretsSchema.parse(secretsOf(JSON.parse(text)));
  return { meta, record, secrets };
}

/** The secrets file is `{name: value}`, or the same under `secrets` (either writer's shape). */
function secretsOf(document: unknown): unknown {
  if (document && typeof document === 'object' && 'secrets' in document) {
    return (document as { secrets: unknown }).secrets;
  }
  return document;
}
