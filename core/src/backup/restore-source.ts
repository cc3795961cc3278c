// The target side of a restore: which snapshot `latest` (or a short id) is, and restic restoring
// it whole into a folder. restic authenticates every blob it reads (a wrong key or an altered
// pack fails), `--verify` reads each restored file back against the snapshot, and a failure is
// the runner's one-line reason (restic-errors.ts). Progress: restic 0.14 prints none for restore
// in --json, so the folder's growth is measured against the snapshot's restore size (`stats`).

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { runRestic } from './restic-runner.js';

export interface SnapshotAccess {
  target: string;
  key: string;
}

export interface ResolvedSnapshot {
  id: string;
  shortId: string;
  time: string;
  /** The apps its tags name (`app:<id>`). */
  apps: string[];
}

export interface SnapshotSource {
  resolve(snapshot: string, access: SnapshotAccess): Promise<ResolvedSnapshot>;
  restore(
    id: string,
    into: string,
    access: SnapshotAccess,
    onProgress: (bytesDone: number, bytesTotal: number) => void,
    signal?: AbortSignal,
  ): Promise<void>;
}

interface ResticSnapshot {
  id: string;
  short_id: string;
  time: string;
  tags?: string[];
}

/** How often the restore's folder is measured for the progress bar. */
const PROGRESS_EVERY_MS = 1_000;

export class ResticSnapshotSource implements SnapshotSource {
  /** `runDir`: the data dir's `run/`, where the runner writes the key file restic reads. */
  constructor(private readonly runDir: string) {}

  async resolve(snapshot: string, access: SnapshotAccess): Promise<ResolvedSnapshot> {
    const { stdout } = await runRestic({
      args: ['snapshots', '--json', '--tag', 'archy'],
      repository: access.target,
      password: access.key,
      runDir: this.runDir,
    });
    const all = (JSON.parse(stdout.trim() || '[]') as ResticSnapshot[])
      // A copy of LND's channel.backup alone is not a node's backup: `latest` means a whole one.
      .filter((s) => !(s.tags ?? []).includes('reason:channel-backup') || snapshot !== 'latest')
      .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    const found =
      snapshot === 'latest'
        ? all.at(-1)
        : (() => {
            const matches = all.filter((s) => s.id.startsWith(snapshot.toLowerCase()));
            if (matches.length > 1) {
              throw new ArchyError(
                RpcErrorCode.InvalidParams,
                `'${snapshot}' names ${matches.length} snapshots; give more of its id (archy backup list)`,
              );
            }
            return matches[0];
          })();
    if (!found) {
      throw new ArchyError(
        RpcErrorCode.NotFound,
        snapshot === 'latest'
          ? 'the target holds no Archipelago snapshot yet; make one with: archy backup create'
          : `the target holds no snapshot '${snapshot}'; see the snapshots with: archy backup list`,
      );
    }
    return {
      id: found.id,
      shortId: found.short_id,
      time: found.time,
      apps: (found.tags ?? [])
        .filter((tag) => tag.startsWith('app:'))
        .map((tag) => tag.slice(4))
        .sort(),
    };
  }

  async restore(
    id: string,
    into: string,
    access: SnapshotAccess,
    onProgress: (bytesDone: number, bytesTotal: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const run = { repository: access.target, password: access.key, runDir: this.runDir };
    const stats = await runRestic({ ...run, args: ['stats', '--json', id], ...(signal && { signal }) });
    const total = Number(
      (JSON.parse(stats.stdout.trim() || '{}') as { total_size?: number }).total_size ?? 0,
    );
    let measuring = false;
    const timer = setInterval(() => {
      if (measuring) return;
      measuring = true;
      void treeSize(into)
        .then((done) => onProgress(Math.min(done, total), total))
        .finally(() => (measuring = false));
    }, PROGRESS_EVERY_MS);
    try {
      await runRestic({
        ...run,
        args: ['restore', id, '--target', into, '--verify'],
        // In the rootless user namespace, as create reads it: files come back with the owners
        // (the containers' sub-uids) and modes they had, not all the daemon user's.
        inUserNamespace: true,
        ...(signal && { signal }),
      });
    } finally {
      clearInterval(timer);
    }
    onProgress(total, total);
  }
}

/** Bytes of the regular files under `dir` (what restic has written so far). */
async function treeSize(dir: string): Promise<number> {
  let size = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) size += await treeSize(path);
    else if (entry.isFile()) size += (await lstat(path).catch(() => ({ size: 0 }))).size;
  }
  return size;
}
