// Data adopted in place (`archy parmanode adopt`) lives outside the data dir, in a folder the user
// owns. While the app exists its container's user owns it (Podman's `U` volume option chowns a
// volume to that user, as for every volume); when the app goes (release, or an adoption rolled
// back) the daemon gives it back to its own user — who owned it before, which adoption requires —
// through the app-tree helper inside the user namespace, where the daemon's user is root over the
// container's sub-uids and id 0 is the daemon's user itself. The helper walks without following a
// link, so a link the app planted in the tree is given back as a link, never followed.

import { lstat, readdir, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { VERSION_MARKER_FILE } from '../bitcoin/index.js';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { runInAppTree } from './app-tree-client.js';

/** A chain's datadir has some tens of thousands of files; chowning them is quick, but allow for a slow disk. */
const CHOWN_TIMEOUT_MS = 10 * 60_000;

/** The daemon's own user: adopted data must be theirs before adoption, and is theirs again after. */
export function daemonOwner(): { uid: number; gid: number; name: string } {
  const info = userInfo();
  return { uid: info.uid, gid: info.gid, name: info.username };
}

/**
 * Entries under `path` (itself included) not owned by `owner`, at most `limit` of them: such data
 * cannot be handed to a container's user from inside the user namespace (it would fail half-way),
 * nor given back. Links are looked at, not followed.
 */
export async function foreignOwned(
  path: string,
  owner: { uid: number; gid: number },
  limit = 5,
): Promise<string[]> {
  const found: string[] = [];
  const visit = async (entry: string): Promise<void> => {
    if (found.length >= limit) return;
    const info = await lstat(entry);
    if (info.uid !== owner.uid || info.gid !== owner.gid) found.push(entry);
    if (!info.isDirectory()) return;
    let names: string[];
    try {
      names = await readdir(entry);
    } catch {
      found.push(entry); // a folder the daemon's user cannot even list
      return;
    }
    for (const name of names) await visit(join(entry, name));
  };
  await visit(path);
  return found.slice(0, limit);
}

/**
 * Gives an adopted folder back to the daemon's user (0:0 in the user namespace) and removes the
 * version marker the daemon wrote there: what is left is the data and what bitcoind wrote itself.
 */
export async function giveBackAdoptedFolder(
  path: string,
  options: { podmanBinary?: string } = {},
): Promise<void> {
  let failure: string | undefined;
  try {
    const reply = await runInAppTree(
      { op: 'chown', path, uid: 0, gid: 0 },
      { ...options, timeoutMs: CHOWN_TIMEOUT_MS },
    );
    if (!reply.ok) failure = (reply as { message: string }).message;
  } catch (error) {
    failure = (error as Error).message;
  }
  if (failure !== undefined) {
    throw new ArchyError(
      RpcErrorCode.PodmanError,
      `could not give ${path} back to ${daemonOwner().name}: ${failure.split('\n')[0]}; ` +
        `check that 'podman unshare true' works for the daemon's user, then run: podman unshare chown -R 0:0 ${path}`,
    );
  }
  // Ours, not bitcoind's; after the chown the daemon's user owns it, and unlink never follows a link.
  await rm(join(path, VERSION_MARKER_FILE), { force: true });
}
