import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Creates `path` with `data` only if it does not exist yet; returns false when it already did.
 * The data goes to a temp file created 0600 with O_EXCL and fsynced, which is then hard-linked
 * into place: link() refuses an existing name, so racing writers cannot replace each other, and a
 * crash leaves either no file or a whole one (never a torn or briefly world-readable one).
 */
export async function createFileExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  let created = true;
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false;
  } finally {
    await rm(tmp, { force: true });
  }
  if (created) await syncDir(dir);
  return created;
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
