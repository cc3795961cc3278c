import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface RootfsFile {
  /** Absolute path inside the image, e.g. `/bin/busybox`. */
  path: string;
  size: number;
  /** Lowercase hex SHA-256 of the content. */
  sha256: string;
}

export interface RootfsSymlink {
  path: string;
  /** The link's text as stored (relative or absolute inside the image); never resolved here. */
  target: string;
}

export interface RootfsListing {
  /** Regular files, sorted by path. */
  files: RootfsFile[];
  /** Symbolic links, sorted by path. */
  symlinks: RootfsSymlink[];
}

/** Big reads keep hashing cost far above per-chunk overhead; a file is never held whole. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Every regular file (path in the image, size, SHA-256) and every symlink of a root filesystem
 * tree. Links are recorded, never followed — a link is a name in the image, and following one
 * could read outside the tree — and files are opened with O_NOFOLLOW, so a file swapped for a link
 * after listing is refused instead of read. Anything else (device, fifo, socket) is refused: an
 * image of ours holds none, and an SBOM must not skip what it cannot describe.
 */
export async function listRootfsFiles(dir: string): Promise<RootfsListing> {
  const files: RootfsFile[] = [];
  const symlinks: RootfsSymlink[] = [];
  const walk = async (hostDir: string, imageDir: string): Promise<void> => {
    const entries = await readdir(hostDir, { withFileTypes: true });
    for (const entry of entries) {
      const hostPath = join(hostDir, entry.name);
      const imagePath = `${imageDir}/${entry.name}`;
      if (entry.isDirectory()) await walk(hostPath, imagePath);
      else if (entry.isSymbolicLink()) symlinks.push({ path: imagePath, target: await readlink(hostPath) });
      else if (entry.isFile()) files.push({ path: imagePath, ...(await hashFile(hostPath, imagePath)) });
      else
        throw new Error(
          `${imagePath} in ${dir} is neither a file, a directory nor a symlink; an image rootfs may not hold it`,
        );
    }
  };
  await walk(dir, '');
  const byPath = (a: { path: string }, b: { path: string }) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  return { files: files.sort(byPath), symlinks: symlinks.sort(byPath) };
}

async function hashFile(hostPath: string, imagePath: string): Promise<{ size: number; sha256: string }> {
  const handle = await open(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile())
      throw new Error(`${imagePath} changed into something other than a file while it was listed`);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream({
      autoClose: false,
      highWaterMark: READ_CHUNK_BYTES,
    })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}
