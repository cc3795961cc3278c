// What the daemon asks of an app's data tree, and how it is done there without following a link.
// The requests run in a helper process inside the rootless user namespace (app-tree-helper.ts),
// where the daemon's user is root over the sub-uids that own the files: that is exactly the power
// a planted symlink would borrow. So every operation goes through util/no-follow.ts, and reads and
// the marker's write run as the tree's own user (the owner of its top folder), not as root: even a
// mistake here could then reach only what the app itself can.
//
// Plain data in, plain data out (JSON over the helper's stdin/stdout): this module imports nothing
// of the daemon's, so the helper stays small and starts fast.

import { lstatSync, rmdirSync, unlinkSync } from 'node:fs';
import { NoFollowDir, SymlinkRefused } from '../util/no-follow.js';

export interface ReadRequest {
  op: 'read';
  /** A folder the daemon computed (an app's volume dir); its last component must not be a link. */
  root: string;
  files: { path: string; maxBytes: number; tail?: boolean }[];
  /** Folders whose presence and time matter. */
  dirs: string[];
  /** In each of these folders, the first name (sorted) matching `pattern`; the file is not opened. */
  firstNames: { dir: string; pattern: string }[];
}

export interface WriteRequest {
  op: 'write';
  root: string;
  /** A plain name in the root. */
  name: string;
  /** UTF-8 text. */
  text: string;
  mode: number;
}

export interface RemoveRequest {
  op: 'remove';
  /** A folder the daemon computed; it and everything in it are removed. */
  path: string;
}

export interface ChownRequest {
  op: 'chown';
  /** A folder the daemon checked (an adopted volume); it and everything in it get the owner. */
  path: string;
  /** Ids inside the user namespace: 0:0 is the daemon's own user. */
  uid: number;
  gid: number;
}

export type AppTreeRequest = ReadRequest | WriteRequest | RemoveRequest | ChownRequest;

export interface ReadReply {
  ok: true;
  exists: boolean;
  /** Base64 content and mtime of each requested regular file found. */
  files: Record<string, { data: string; mtimeMs: number }>;
  dirs: Record<string, { mtimeMs: number }>;
  firstNames: Record<string, string>;
  /** Requested paths (or folders on their way) that are symlinks: not followed, not read. */
  symlinks: string[];
  /** Requested files longer than their maxBytes: not read. */
  tooLarge: string[];
}

export interface FailureReply {
  ok: false;
  /** A symlink met where no link may be (a write's root), relative to the root. */
  symlink?: string;
  message: string;
}

export type AppTreeReply = ReadReply | { ok: true; changed?: number } | FailureReply;

/** Switches the process to the tree's owner, once the root is held open (the helper's setuid/setgid). */
export type BecomeOwner = (owner: { uid: number; gid: number }) => void;

/** Runs one request. `becomeOwner` is called with the root's owner before anything below it is touched. */
export function runAppTreeRequest(request: AppTreeRequest, becomeOwner: BecomeOwner): AppTreeReply {
  try {
    switch (request.op) {
      case 'read':
        return readTree(request, becomeOwner);
      case 'write':
        return writeInTree(request, becomeOwner);
      case 'remove':
        return removeTree(request);
      case 'chown':
        return chownTree(request);
    }
  } catch (error) {
    if (error instanceof SymlinkRefused) return { ok: false, symlink: error.path, message: error.message };
    return { ok: false, message: (error as Error).message };
  }
}

function readTree(request: ReadRequest, becomeOwner: BecomeOwner): ReadReply {
  const reply: ReadReply = {
    ok: true,
    exists: false,
    files: {},
    dirs: {},
    firstNames: {},
    symlinks: [],
    tooLarge: [],
  };
  const root = NoFollowDir.openRoot(request.root);
  if (root === undefined) return reply;
  try {
    const { uid, gid } = root.stat();
    becomeOwner({ uid, gid });
    reply.exists = true;
    const refused = (error: unknown): void => {
      if (!(error instanceof SymlinkRefused)) throw error;
      if (!reply.symlinks.includes(error.path)) reply.symlinks.push(error.path);
    };
    for (const file of request.files) {
      try {
        const read = root.readFile(file.path, file);
        if (read === 'tooLarge') reply.tooLarge.push(file.path);
        else if (read) reply.files[file.path] = { data: read.data.toString('base64'), mtimeMs: read.mtimeMs };
      } catch (error) {
        refused(error);
      }
    }
    for (const path of request.dirs) {
      try {
        const dir = root.dir(path);
        if (dir === undefined) continue;
        reply.dirs[path] = { mtimeMs: dir.stat().mtimeMs };
        dir.close();
      } catch (error) {
        refused(error);
      }
    }
    for (const { dir: path, pattern } of request.firstNames) {
      try {
        const dir = root.dir(path);
        if (dir === undefined) continue;
        const regex = new RegExp(pattern);
        const first = dir
          .list()
          .filter((name) => regex.test(name))
          .sort()[0];
        dir.close();
        if (first !== undefined) reply.firstNames[path] = first;
      } catch (error) {
        refused(error);
      }
    }
    return reply;
  } finally {
    root.close();
  }
}

function writeInTree(request: WriteRequest, becomeOwner: BecomeOwner): AppTreeReply {
  const root = NoFollowDir.openRoot(request.root);
  if (root === undefined) return { ok: false, message: `${request.root} is missing or not a folder` };
  try {
    const { uid, gid } = root.stat();
    // As the owner, the new file is the owner's: no chown, and no power beyond the app's own.
    becomeOwner({ uid, gid });
    root.writeFileAtomic(request.name, Buffer.from(request.text, 'utf8'), request.mode);
    return { ok: true };
  } finally {
    root.close();
  }
}

function removeTree(request: RemoveRequest): AppTreeReply {
  // Stays root: an app's tree may hold files of several users (a service, an image's chown).
  // The path's parents are the daemon's; only its last component can be anything.
  let kind;
  try {
    kind = lstatSync(request.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true };
    throw error;
  }
  if (!kind.isDirectory()) {
    unlinkSync(request.path); // a file, or a link: the link goes, not what it points to
    return { ok: true };
  }
  const root = NoFollowDir.openRoot(request.path);
  if (root !== undefined) {
    try {
      root.removeContents();
    } finally {
      root.close();
    }
  }
  rmdirSync(request.path);
  return { ok: true };
}

function chownTree(request: ChownRequest): AppTreeReply {
  // Stays root of the namespace: the tree holds the container user's files, to be given back.
  const root = NoFollowDir.openRoot(request.path);
  if (root === undefined) return { ok: false, message: `${request.path} is missing or not a folder` };
  try {
    return { ok: true, changed: root.chownTree(request.uid, request.gid) };
  } finally {
    root.close();
  }
}
