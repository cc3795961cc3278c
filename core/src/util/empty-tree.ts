// A folder that holds nothing but empty folders (volumes made but never used) can be removed
// without losing anything; a folder with any file or symlink in it cannot.

import { lstat, readdir, rmdir } from 'node:fs/promises';

/** Removes `dir` when it is missing or holds only empty folders we can read; false (untouched) otherwise. */
export async function removeIfEmptyTree(dir: string): Promise<boolean> {
  if (!(await isEmptyTree(dir))) return false;
  await removeEmptyTree(dir);
  return true;
}

/** True when `dir` is missing or holds only empty folders we can read (a volume made but never used). */
export async function isEmptyTree(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  for (const name of names) {
    const path = `${dir}/${name}`;
    // lstat: a symlink (the old app's, pointing anywhere) is not an empty folder to remove.
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isDirectory() || !(await isEmptyTree(path))) return false;
  }
  return true;
}

async function removeEmptyTree(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) await removeEmptyTree(`${dir}/${name}`);
  await rmdir(dir);
}
