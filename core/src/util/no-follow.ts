// File operations inside a tree someone else controls — an app's data, which its container can
// fill with symlinks and change while we look — that never follow a symlink: not in the last
// component, not on the way there, not when the tree changes between two steps.
//
// Linux's openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) does this in one call; Node has neither
// openat2 nor openat. It has the next best thing: /proc/self/fd/N is a "magic link" straight to the
// directory that descriptor N holds (wherever it was moved since, whatever has its old name now),
// so open('/proc/self/fd/N/name', O_NOFOLLOW) is openat(N, 'name', O_NOFOLLOW): one name looked up
// in that very directory, a symlink there refused with ELOOP. Paths are walked one name at a time
// that way, each directory held open while the next is looked up. rename, unlink and rmdir never
// follow their last component, so through the same prefix they act on the entry itself.
//
// Synchronous on purpose: it runs in a short-lived helper process (orchestrator/app-tree-helper.ts),
// never on the daemon's event loop.

import {
  closeSync,
  constants,
  fchownSync,
  fstatSync,
  fsyncSync,
  lchownSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

/** A symlink was found where the caller asked for a file or a folder; it was not followed. */
export class SymlinkRefused extends Error {
  readonly code = 'ELOOP';
  /** Relative to the root the walk started from. */
  constructor(readonly path: string) {
    super(`${path} is a symbolic link; it is not followed`);
    this.name = 'SymlinkRefused';
  }
}

const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** Only plain names: '..', '.', '' or a slash would step outside the one directory. */
function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new Error(`not a plain file name: ${JSON.stringify(name)}`);
  }
}

/**
 * With O_DIRECTORY, a symlink fails as ENOTDIR, like a file: this tells them apart, for the
 * message only — nothing was followed either way.
 */
function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** `a/b/c` → ['a', 'b', 'c']; '' and '.' are the root itself. */
function namesOf(relPath: string): string[] {
  const names = relPath.split('/').filter((part) => part !== '' && part !== '.');
  names.forEach(checkName);
  return names;
}

export interface FileRead {
  data: Buffer;
  /** The file's whole size (data may be its tail). */
  size: number;
  mtimeMs: number;
  /** Its type and permission bits (fstat's st_mode). */
  mode: number;
}

/** An open directory; everything below it is reached through its descriptor. Close it when done. */
export class NoFollowDir {
  private constructor(
    readonly fd: number,
    /** Relative to the root of the walk, for messages ('' for the root). */
    readonly relPath: string,
  ) {}

  /**
   * Opens the root of a walk. Its path is the caller's (e.g. a folder the daemon computed): only
   * its last component is checked not to be a symlink. Undefined when there is nothing, or no folder.
   */
  static openRoot(path: string): NoFollowDir | undefined {
    try {
      return new NoFollowDir(openSync(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), '');
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ELOOP' || (code === 'ENOTDIR' && isSymlink(path))) throw new SymlinkRefused('.');
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  }

  /** The path of `name` in this directory, resolved through the descriptor. */
  private at(name: string): string {
    checkName(name);
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  private child(name: string): string {
    return this.relPath === '' ? name : `${this.relPath}/${name}`;
  }

  stat(): Stats {
    return fstatSync(this.fd);
  }

  /** What the entry `name` is, without following it. */
  kindOf(name: string): 'missing' | 'file' | 'dir' | 'symlink' | 'other' {
    let info: Stats;
    try {
      info = lstatSync(this.at(name));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return 'missing';
      throw error;
    }
    if (info.isSymbolicLink()) return 'symlink';
    if (info.isFile()) return 'file';
    if (info.isDirectory()) return 'dir';
    return 'other';
  }

  list(): string[] {
    return readdirSync(`/proc/self/fd/${this.fd}`);
  }

  /**
   * The folder at `relPath` below this one, walked name by name. Undefined when a part is missing
   * or not a folder; SymlinkRefused when a part is a symlink.
   */
  dir(relPath: string): NoFollowDir | undefined {
    const names = namesOf(relPath);
    // A descriptor of its own for this folder too, so the caller always gets one to close.
    let current = new NoFollowDir(openSync(`/proc/self/fd/${this.fd}`, O_RDONLY | O_DIRECTORY), this.relPath);
    for (const name of names) {
      const path = current.child(name);
      let fd: number;
      try {
        fd = openSync(current.at(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ELOOP' || (code === 'ENOTDIR' && isSymlink(current.at(name)))) {
          throw new SymlinkRefused(path);
        }
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw error;
      } finally {
        current.close();
      }
      current = new NoFollowDir(fd, path);
    }
    return current;
  }

  /**
   * Reads the regular file at `relPath`: at most `maxBytes` of it, from its end when `tail`.
   * Undefined when it is missing or not a regular file (a FIFO is never waited on);
   * SymlinkRefused when it or a folder on the way is a symlink. `tooLarge` when the file is longer
   * than `maxBytes` and `tail` was not asked for (nothing is read then).
   */
  readFile(
    relPath: string,
    options: { maxBytes: number; tail?: boolean },
  ): FileRead | 'tooLarge' | undefined {
    const names = namesOf(relPath);
    const last = names.pop();
    if (last === undefined) return undefined;
    const parent = this.dir(names.join('/'));
    if (parent === undefined) return undefined;
    let fd: number;
    try {
      // O_NONBLOCK: opening a FIFO the app planted returns at once instead of waiting for a writer.
      fd = openSync(parent.at(last), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ELOOP') throw new SymlinkRefused(parent.child(last));
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENXIO') return undefined;
      throw error;
    } finally {
      parent.close();
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) return undefined;
      if (info.size > options.maxBytes && !options.tail) return 'tooLarge';
      const length = Math.min(info.size, options.maxBytes);
      const data = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, data, done, length - done, info.size - length + done);
        if (n === 0) break;
        done += n;
      }
      return { data: data.subarray(0, done), size: info.size, mtimeMs: info.mtimeMs, mode: info.mode };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Replaces the entry `name` in this folder with a new regular file holding `data`: written to a
   * temp file created here (never an existing one: whatever has its name is removed first, and a
   * symlink is removed, not followed), synced, then renamed over `name` — which replaces a symlink
   * there instead of writing through it. The file belongs to whoever runs this, with `mode`.
   */
  writeFileAtomic(name: string, data: Uint8Array, mode: number): void {
    const tmp = `.${name}.tmp`;
    let fd: number | undefined;
    // The tree's owner may put something back at the temp name as fast as we remove it: a few tries.
    for (let attempt = 0; fd === undefined; attempt++) {
      try {
        fd = openSync(this.at(tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST' || attempt >= 5) throw error;
        this.removeEntry(tmp);
      }
    }
    try {
      let done = 0;
      while (done < data.length) done += writeSync(fd, data, done, data.length - done);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      this.removeEntry(tmp);
      throw error;
    }
    closeSync(fd);
    renameSync(this.at(tmp), this.at(name));
    fsyncSync(this.fd);
  }

  /**
   * Removes the entry `name` and, when it is a folder, everything in it. A symlink is removed as
   * a link; nothing it points to is touched. Missing is not an error.
   */
  removeEntry(name: string): void {
    // An entry can change kind between two calls (the tree's owner swapping a folder for a link):
    // each step re-checks what it meets, a bounded number of times.
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        unlinkSync(this.at(name));
        return;
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ENOENT') return;
        if (code !== 'EISDIR' && code !== 'EPERM') throw error;
      }
      let sub: NoFollowDir | undefined;
      try {
        sub = this.dir(name);
      } catch (error) {
        if (error instanceof SymlinkRefused) continue; // became a link: unlink it
        throw error;
      }
      if (sub === undefined) continue; // gone, or no longer a folder
      try {
        sub.removeContents();
      } finally {
        sub.close();
      }
      try {
        rmdirSync(this.at(name));
        return;
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ENOENT') return;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
      }
    }
    throw new Error(`${this.child(name)} kept changing while it was being removed; try again`);
  }

  /** Removes everything in this folder (the folder itself stays). */
  removeContents(): void {
    for (const name of this.list()) this.removeEntry(name);
  }

  /**
   * Gives this folder and everything below it to `uid:gid`. Links are chowned as links (lchown),
   * never followed; each folder is entered through its descriptor, so a folder swapped for a link
   * meanwhile is not entered. Returns how many entries were changed.
   */
  chownTree(uid: number, gid: number): number {
    let changed = 0;
    const own = this.stat();
    if (own.uid !== uid || own.gid !== gid) {
      fchownSync(this.fd, uid, gid);
      changed++;
    }
    for (const name of this.list()) {
      const info = lstatSync(this.at(name));
      if (info.uid !== uid || info.gid !== gid) {
        lchownSync(this.at(name), uid, gid);
        changed++;
      }
      if (!info.isDirectory()) continue;
      let sub: NoFollowDir | undefined;
      try {
        sub = this.dir(name);
      } catch (error) {
        if (error instanceof SymlinkRefused) continue; // became a link: chowned as one above
        throw error;
      }
      if (sub === undefined) continue;
      try {
        // The folder itself was chowned (and counted) above: only what is in it changes here.
        changed += sub.chownTree(uid, gid);
      } finally {
        sub.close();
      }
    }
    return changed;
  }

  close(): void {
    closeSync(this.fd);
  }
}
