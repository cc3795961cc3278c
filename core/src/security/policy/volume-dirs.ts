// The host side of an app's volumes must be real folders inside its own data dir. The manifest
// cannot name a host path, but the data dir may already hold something when the app is
// installed (kept data, a restored backup, someone's hand): a symlink there would bind-mount
// whatever it points at — /etc, the daemon's secrets — into the app, and Podman's `U` option
// would chown it to the app's user. So the daemon looks before it mounts.

import { lstat, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { ArchyError, RpcErrorCode } from '../../kernel/index.js';
import type { AppManifest } from '../../manifest/index.js';

/** The part of the orchestrator's DataLayout this check needs. */
export interface VolumeDirLayout {
  readonly root: string;
  appDataDir(id: string): string;
  volumeDir(id: string, volumeName: string): string;
  /** An adopted volume's host folder (outside the data dir), or undefined. */
  boundVolume?(id: string, volumeName: string): string | undefined;
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

async function lstatIfPresent(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

const refuse = (message: string): never => {
  throw new ArchyError(RpcErrorCode.Conflict, message);
};

/**
 * Throws unless DATA_DIR/apps/<id> and every DATA_DIR/apps/<id>/<volume> either do not exist yet or are
 * real directories (not symlinks) that resolve inside the app's own data dir. Call it before
 * creating the dirs (so `mkdir -p` never follows a planted link) and again just before the
 * container is created.
 */
export async function assertVolumeDirsSafe(layout: VolumeDirLayout, manifest: AppManifest): Promise<void> {
  const id = manifest.id;
  for (const volume of manifest.volumes) {
    const bound = layout.boundVolume?.(id, volume.name);
    if (bound !== undefined) await assertBoundVolumeSafe(layout.root, id, volume.name, bound);
  }
  const appDir = layout.appDataDir(id);
  const appStat = await lstatIfPresent(appDir);
  if (appStat === undefined) return;
  const remedy = (path: string) => `move it away (mv ${path} ${path}.moved) and install again`;
  if (appStat.isSymbolicLink()) {
    refuse(
      `the data dir of '${id}' (${appDir}) is a symlink to ${await describeTarget(appDir)}; ` +
        `an app's data must live in a real folder under the data dir — ${remedy(appDir)}`,
    );
  }
  if (!appStat.isDirectory())
    refuse(`the data dir of '${id}' (${appDir}) is not a folder; ${remedy(appDir)}`);
  const realAppDir = await realpath(appDir);

  for (const [index, volume] of manifest.volumes.entries()) {
    if (layout.boundVolume?.(id, volume.name) !== undefined) continue;
    const dir = layout.volumeDir(id, volume.name);
    const where = `volumes[${index}] ('${volume.mount}', stored in ${dir})`;
    const stat = await lstatIfPresent(dir);
    if (stat === undefined) continue;
    if (stat.isSymbolicLink()) {
      refuse(
        `${where} is a symlink to ${await describeTarget(dir)}; a volume must be a real folder inside ` +
          `${appDir} — ${remedy(dir)}`,
      );
    }
    if (!stat.isDirectory()) refuse(`${where} exists and is not a folder; ${remedy(dir)}`);
    const real = await realpath(dir);
    if (!real.startsWith(realAppDir + sep)) {
      refuse(`${where} resolves to ${real}, outside ${realAppDir}; ${remedy(dir)}`);
    }
  }
}

async function describeTarget(link: string): Promise<string> {
  try {
    return await realpath(link);
  } catch {
    return 'a path that does not exist';
  }
}

/**
 * An adopted volume (data adopted in place) is a host folder the user chose: it must be a real
 * folder whose path has no link in it (a link could be changed afterwards to point the mount
 * elsewhere), and neither inside the daemon's data dir nor holding it.
 */
export async function assertBoundVolumeSafe(
  dataDir: string,
  id: string,
  volume: string,
  path: string,
): Promise<void> {
  const where = `the adopted volume '${volume}' of '${id}' (${path})`;
  if (!path.startsWith(sep) || path === sep) refuse(`${where} must be an absolute folder other than /`);
  const stat = await lstatIfPresent(path);
  if (stat === undefined)
    refuse(`${where} does not exist; plug in the drive that holds it, or release the app`);
  if (!stat!.isDirectory()) refuse(`${where} is not a folder`);
  const real = await realpath(path);
  if (real !== path) refuse(`${where} resolves to ${real}; adopt it by its real path (no symlink in it)`);
  const root = await realpath(dataDir).catch(() => dataDir);
  if (real === root || real.startsWith(root + sep) || root.startsWith(real + sep)) {
    refuse(`${where} overlaps the daemon's data dir ${root}; adopt a folder outside it`);
  }
}
