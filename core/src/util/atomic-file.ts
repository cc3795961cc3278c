// The one atomic write: a whole file appears under its name or nothing does, whatever the moment
// of a crash. Both ways of putting a file in place (replace, create-if-absent) share the same
// first step — a temp file beside the target, created O_EXCL with its final mode, written and
// fsynced — and end by fsyncing the folder so the new name itself survives a power cut.
// (NoFollowDir.writeFileAtomic in no-follow.ts does the same relative to a folder descriptor,
// for trees whose owner may race us with symlinks; that one cannot take a path.)

import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

/** Writes `data` to a fresh temp file beside `path` (created 0700 folder, `mode` file) and fsyncs it. */
async function writeTempBeside(path: string, data: string | Uint8Array, mode: number): Promise<string> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never an existing file, whose mode and owner we would not control.
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  return tmp;
}

/** fsyncs a folder, so that a name just created or renamed in it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old file or the
 * new one, never a torn mix: write a temp file beside it, fsync, rename over, fsync the dir.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = await writeTempBeside(path, data, mode);
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

/**
 * Creates `path` with `data` only if it does not exist yet; returns false when it already did.
 * The temp file is hard-linked into place: link() refuses an existing name, so racing writers
 * cannot replace each other, and a crash leaves either no file or a whole one (never a torn or
 * briefly world-readable one).
 */
export async function createFileExclusive(
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
): Promise<boolean> {
  const tmp = await writeTempBeside(path, data, mode);
  let created = true;
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false;
  } finally {
    await rm(tmp, { force: true });
  }
  if (created) await syncDir(dirname(path));
  return created;
}
