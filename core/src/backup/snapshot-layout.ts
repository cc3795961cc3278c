// What one backup snapshot holds and where (README "Backups"), shared by create (backup-service)
// and restore (restore*.ts) so both read the same layout.
//
// Paths in a snapshot are relative to the data dir, so a snapshot restores onto any data dir:
// restic runs with its working directory at the data dir and is given relative paths
// (`apps/hello`, `app-configs/hello.json`, `archy-backup`); restic keeps a relative path's tree
// as it was given, so the snapshot's tree is `/apps/hello/…`, `/archy-backup/…` whatever the
// data dir was (only the snapshot's `paths` metadata names the absolute folder; nothing reads
// it). `restic restore <id> --target <dir>` puts them back under `<dir>`.
//
//   apps/<id>/                        the app's volumes and `.tor/onions/` (its onion keys)
//                                     — not `.tor/data/` (Tor's cache), not for apps with
//                                     `bitcoin:` the datadir's blocks/, chainstate/, indexes/
//                                     (every network's) unless `--include-chain`
//   app-configs/<id>.json             pin, auto-update, Tor mode, onions
//   archy-backup/backup.json          BackupManifestFile: format, when, which apps at which version
//   archy-backup/apps/<id>/record.json    the app record (desired state, bindings, settings)
//   archy-backup/apps/<id>/manifest.yml   the manifest of record
//   archy-backup/apps/<id>/secrets.json   the app's secrets IN PLAIN TEXT — inside the snapshot
//                                     only, which restic encrypts with the backup key; a restore
//                                     seals them again under the restoring node's master key
//
// `archy-backup/` is written for the snapshot into DATA_DIR/archy-backup/ (0700, files 0600) and
// removed when restic is done, whatever happened; a crash leaves it to the next start to remove
// (BackupService.recover). Data adopted in place (a Parmanode datadir bound from outside the data
// dir) is the user's own folder and is not in a snapshot.
//
// Tags (restic `--tag`): `archy`, `app:<id>` for each app, `reason:<manual|schedule|channel-backup>`,
// and `chain` when chain files are in it.

import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NETWORK_SUBDIRS } from '../bitcoin/index.js';
import type { BackupReason, BackupSnapshotInfo } from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';

/** The snapshot's metadata folder (and the data dir's staging folder of the same name). */
export const SNAPSHOT_META_DIR = 'archy-backup';
export const BACKUP_FORMAT = 1;

/** `archy-backup/backup.json`. */
export interface BackupManifestFile {
  format: typeof BACKUP_FORMAT;
  createdAt: string;
  node: { hostname: string };
  reason: BackupReason;
  apps: SnapshotApp[];
}

export interface SnapshotApp {
  id: string;
  version: string;
  desired: 'running' | 'stopped';
  includesChain: boolean;
  /** Where its manifest came from: a restore installs it the same way. */
  manifest: 'bundled' | 'catalog' | 'file';
}

/** What goes in per app besides its data: written into `archy-backup/apps/<id>/`. */
export interface SnapshotAppFiles {
  id: string;
  /** The app record, as stored (state/apps/<id>.json). */
  record: object;
  manifestYaml: string;
  /** Secret name → value, in plain text (encrypted by restic with the backup key). */
  secrets: Record<string, string>;
}

/** Where a snapshot's pieces are, relative to the data dir (and to a restore's staging folder). */
export const snapshotPaths = {
  appData: (id: string) => `apps/${id}`,
  appConfig: (id: string) => `app-configs/${id}.json`,
  meta: SNAPSHOT_META_DIR,
  backupFile: `${SNAPSHOT_META_DIR}/backup.json`,
  appMetaDir: (id: string) => `${SNAPSHOT_META_DIR}/apps/${id}`,
  record: (id: string) => `${SNAPSHOT_META_DIR}/apps/${id}/record.json`,
  manifest: (id: string) => `${SNAPSHOT_META_DIR}/apps/${id}/manifest.yml`,
  secrets: (id: string) => `${SNAPSHOT_META_DIR}/apps/${id}/secrets.json`,
} as const;

/** Bitcoin's files that re-sync from the network: left out unless the user includes the chain. */
const CHAIN_FOLDERS = ['blocks', 'chainstate', 'indexes'] as const;

/**
 * restic `--exclude` patterns for an app. Relative patterns (no leading '/') match the path's
 * tail at any depth, so they hold for any data dir. `datadirVolume`: the volume holding a
 * Bitcoin node's datadir (the one mounted at `bitcoin.datadir`).
 */
export function appExcludes(manifest: AppManifest, options: { includeChain: boolean }): string[] {
  const id = manifest.id;
  const excludes = [`${snapshotPaths.appData(id)}/.tor/data`];
  if (manifest.bitcoin && !options.includeChain) {
    const volume = datadirVolume(manifest);
    if (volume) {
      for (const network of new Set(Object.values(NETWORK_SUBDIRS))) {
        for (const folder of CHAIN_FOLDERS) {
          const under = network === '' ? folder : `${network}/${folder}`;
          excludes.push(`${snapshotPaths.appData(id)}/${volume}/${under}`);
        }
      }
    }
  }
  return excludes;
}

/** The volume mounted at the Bitcoin datadir (bitcoin.datadir, default /data), if any. */
export function datadirVolume(manifest: AppManifest): string | undefined {
  const mount = manifest.bitcoin?.datadir ?? '/data';
  return manifest.volumes.find((volume) => volume.mount === mount)?.name;
}

/** restic's tags for a snapshot. */
export function snapshotTags(
  apps: readonly string[],
  reason: BackupReason,
  includesChain: boolean,
): string[] {
  return ['archy', ...apps.map((id) => `app:${id}`), `reason:${reason}`, ...(includesChain ? ['chain'] : [])];
}

/** One snapshot as `restic snapshots --json` lists it. */
export interface ResticSnapshot {
  id: string;
  short_id?: string;
  time: string;
  tags?: string[];
  paths?: string[];
}

/**
 * A snapshot as the API shows it, from its tags. Versions are not in the tags (a tag is for
 * filtering): they are in `archy-backup/backup.json`; `versions` supplies them when known.
 */
export function snapshotInfo(
  snapshot: ResticSnapshot,
  versions: Record<string, string> = {},
): BackupSnapshotInfo {
  const tags = snapshot.tags ?? [];
  const reasonTag = tags.find((tag) => tag.startsWith('reason:'))?.slice('reason:'.length);
  const reason: BackupReason =
    reasonTag === 'schedule' || reasonTag === 'channel-backup' ? reasonTag : 'manual';
  const apps = tags
    .filter((tag) => tag.startsWith('app:'))
    .map((tag) => tag.slice('app:'.length))
    .map((id) => ({ id, version: versions[id] ?? parseVersionTag(tags, id) ?? '' }));
  return {
    id: snapshot.id,
    shortId: snapshot.short_id ?? snapshot.id.slice(0, 8),
    time: snapshot.time,
    apps,
    reason,
    includesChain: tags.includes('chain'),
  };
}

/** `version:<id>=<version>` tags (written too, so `list` needs no restore of backup.json). */
export function versionTags(apps: ReadonlyArray<{ id: string; version: string }>): string[] {
  return apps.map((app) => `version:${app.id}=${app.version}`);
}

function parseVersionTag(tags: readonly string[], id: string): string | undefined {
  const prefix = `version:${id}=`;
  return tags.find((tag) => tag.startsWith(prefix))?.slice(prefix.length);
}

/**
 * Writes `archy-backup/` under `root` (the data dir): folders 0700, files 0600 from their first
 * byte (the secrets are plain text here until restic has read them and the folder is removed).
 */
export async function writeSnapshotMeta(
  root: string,
  manifest: BackupManifestFile,
  apps: readonly SnapshotAppFiles[],
): Promise<void> {
  const meta = join(root, SNAPSHOT_META_DIR);
  await mkdir(meta, { recursive: true, mode: 0o700 });
  await chmod(meta, 0o700);
  const write = (path: string, text: string) =>
    writeFile(join(root, path), text, { mode: 0o600, flag: 'wx' });
  await write(snapshotPaths.backupFile, `${JSON.stringify(manifest, null, 2)}\n`);
  for (const app of apps) {
    await mkdir(join(root, snapshotPaths.appMetaDir(app.id)), { recursive: true, mode: 0o700 });
    await write(snapshotPaths.record(app.id), `${JSON.stringify(app.record, null, 2)}\n`);
    await write(snapshotPaths.manifest(app.id), app.manifestYaml);
    await write(snapshotPaths.secrets(app.id), `${JSON.stringify(app.secrets, null, 2)}\n`);
  }
}

/** Removes the staging folder (and the plain-text secrets in it); harmless when it is not there. */
export async function removeSnapshotMeta(root: string): Promise<void> {
  await rm(join(root, SNAPSHOT_META_DIR), { recursive: true, force: true });
}
