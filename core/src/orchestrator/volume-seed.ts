// A volume's `seed:`: files of the manifest's own folder (an app's configs, entrypoint scripts)
// copied into the volume when an install creates it — never into a volume that already exists
// (data kept from an earlier install, or any later update, restart or version change).
//
// The manifest's folder is the user's: a link there could point at any file the daemon may read
// (its secrets, another app's data) and would hand it to the app, so the seed is read through
// no-follow descriptors (util/no-follow.ts) and only regular files and folders come over; a link,
// device, FIFO or socket refuses the install, naming it. Everything is read (and the size cap
// checked) before the volume is made; the files are then written into a hidden folder beside it
// and renamed into place, so a failure or crash never leaves a half-seeded volume.

import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import type { VolumeSpec } from '../manifest/index.js';
import { NoFollowDir, SymlinkRefused } from '../util/no-follow.js';

/** Seeds are an app's configs and scripts: this keeps a seed from copying a disk into a volume. */
export const MAX_SEED_BYTES = 64 * 1024 * 1024;

/** One entry of a seed, read: a folder, or a file with its bytes and permission bits. */
export type SeedEntry =
  { path: string; kind: 'dir'; mode: number } | { path: string; kind: 'file'; mode: number; data: Buffer };

const refused = (message: string): ArchyError => new ArchyError(RpcErrorCode.InvalidManifest, message);

/**
 * The folder a seed's path is relative to: the manifest's folder the CLI sent, else the folder of
 * an absolute manifest file (a bundled app). A manifest sent without either is refused.
 */
export function seedBaseFolder(appId: string, manifestFile: string, manifestDir: string | undefined): string {
  if (manifestDir !== undefined) return manifestDir;
  if (isAbsolute(manifestFile)) return dirname(manifestFile);
  throw new ArchyError(
    RpcErrorCode.InvalidParams,
    `'${appId}' seeds a volume with files beside its manifest, but the daemon was not told where ` +
      `${basename(manifestFile)} is; install it from its file with 'archy install ./${basename(manifestFile)}' (which sends the folder)`,
  );
}

/**
 * Reads the seed folder `seed` (relative to `baseDir`) without following any link: every folder
 * and regular file below it, parents before children. Refuses a link, a device/FIFO/socket, a
 * seed that is not a folder, and more than MAX_SEED_BYTES in all.
 */
export function readSeed(appId: string, baseDir: string, volume: VolumeSpec & { seed: string }): SeedEntry[] {
  const where = (path: string) => (path === '' ? volume.seed : `${volume.seed}/${path}`);
  const linkRefused = (path: string) =>
    refused(
      `${join(baseDir, path)} is a symbolic link; the seed of volume '${volume.name}' of '${appId}' copies only regular files and folders of the app's folder`,
    );
  let root: NoFollowDir | undefined;
  let seedDir: NoFollowDir | undefined;
  try {
    try {
      root = NoFollowDir.openRoot(baseDir);
      seedDir = root?.dir(volume.seed);
    } catch (error) {
      if (error instanceof SymlinkRefused) throw linkRefused(error.path === '.' ? '' : error.path);
      throw error;
    }
    if (seedDir === undefined)
      throw refused(
        `volume '${volume.name}' of '${appId}' is seeded from ${volume.seed}, which is not a folder in ${baseDir}; create it or remove seed:`,
      );
    const entries: SeedEntry[] = [];
    let total = 0;
    const walk = (dir: NoFollowDir, rel: string): void => {
      for (const name of dir.list().sort()) {
        const path = rel === '' ? name : `${rel}/${name}`;
        const kind = dir.kindOf(name);
        if (kind === 'symlink') throw linkRefused(join(volume.seed, path));
        if (kind === 'other' || kind === 'missing')
          throw refused(
            `${join(baseDir, where(path))} is not a regular file or folder (a device, FIFO or socket); the seed of volume '${volume.name}' of '${appId}' copies only regular files and folders`,
          );
        if (kind === 'dir') {
          let sub: NoFollowDir | undefined;
          try {
            sub = dir.dir(name);
          } catch (error) {
            if (error instanceof SymlinkRefused) throw linkRefused(join(volume.seed, path));
            throw error;
          }
          if (sub === undefined)
            throw refused(`${join(baseDir, where(path))} changed while it was read; try again`);
          try {
            entries.push({ path, kind: 'dir', mode: sub.stat().mode });
            walk(sub, path);
          } finally {
            sub.close();
          }
          continue;
        }
        let read;
        try {
          read = dir.readFile(name, { maxBytes: MAX_SEED_BYTES - total });
        } catch (error) {
          if (error instanceof SymlinkRefused) throw linkRefused(join(volume.seed, path));
          throw error;
        }
        if (read === 'tooLarge')
          throw refused(
            `the seed of volume '${volume.name}' of '${appId}' (${volume.seed}) holds more than ${MAX_SEED_BYTES} bytes; a seed is for an app's configs and scripts`,
          );
        // Undefined: it became something else than a regular file since kindOf (a FIFO is never waited on).
        if (read === undefined)
          throw refused(
            `${join(baseDir, where(path))} is not a regular file; the seed of volume '${volume.name}' of '${appId}' copies only regular files and folders`,
          );
        total += read.data.length;
        entries.push({ path, kind: 'file', mode: read.mode, data: read.data });
      }
    };
    walk(seedDir, '');
    return entries;
  } finally {
    seedDir?.close();
    root?.close();
  }
}

/** The hidden folder a volume is seeded in before it is renamed into place (no volume name starts with '.'). */
const stagingDir = (volumeDir: string): string => join(dirname(volumeDir), `.seeding-${basename(volumeDir)}`);

/**
 * Creates `volumeDir` (which must not exist) holding `entries`. The daemon owns what it writes;
 * Podman's `U` volume option hands it to the container's user at mount, as for every volume.
 * Permission bits come over (an entrypoint stays executable) without setuid/setgid/sticky, and
 * the owner can always read and write (the app may rewrite its configs).
 */
export async function writeSeededVolume(volumeDir: string, entries: readonly SeedEntry[]): Promise<void> {
  const staging = stagingDir(volumeDir);
  // A crash mid-seed left this behind: it was never the volume.
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  try {
    for (const entry of entries) {
      const path = join(staging, entry.path);
      if (entry.kind === 'dir') {
        await mkdir(path);
        await chmod(path, (entry.mode & 0o777) | 0o700);
      } else {
        await writeFile(path, entry.data, { flag: 'wx', mode: 0o600 });
        await chmod(path, (entry.mode & 0o777) | 0o600);
      }
    }
    await rename(staging, volumeDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
