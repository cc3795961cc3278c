// Deleting an app's data dir, which is not always the daemon's to delete. Volumes are mounted
// with `:U`, so an app running as a non-root user owns them as a sub-uid of the daemon's user,
// and a folder it made with mode 0700 cannot even be listed by the daemon. In the rootless user
// namespace the daemon's user is root over its sub-uids, so that is where such a tree is removed
// — by the app-tree helper, which walks by descriptor and never follows a link: a folder the app
// swapped for a link to the daemon's secrets is unlinked, not emptied (a plain `rm -rf` by path,
// busybox's for one, would follow it if the swap came between its look and its step).

import { RpcErrorCode } from '../kernel/index.js';
import { ArchyError } from '../kernel/index.js';
import { runInAppTree } from './app-tree-client.js';

/** A big datadir (a full node's blocks) takes a while to unlink. */
const REMOVE_TIMEOUT_MS = 10 * 60_000;

/**
 * Removes `path` and everything under it, including what container users (sub-uids) own. A
 * missing path is not an error. `path` must be one the daemon computed (an app's data dir),
 * never one a manifest or a user named: its parents are trusted, only what is below it is not.
 */
export async function removeAppTree(path: string, options: { podmanBinary?: string } = {}): Promise<void> {
  let failure: string | undefined;
  try {
    const reply = await runInAppTree({ op: 'remove', path }, { ...options, timeoutMs: REMOVE_TIMEOUT_MS });
    if (!reply.ok) failure = (reply as { message: string }).message;
  } catch (error) {
    failure = (error as Error).message;
  }
  if (failure === undefined) return;
  throw new ArchyError(
    RpcErrorCode.PodmanError,
    `could not delete ${path}, which holds files of the app's container user: ${failure.split('\n')[0]}; ` +
      `check that 'podman unshare true' works for the daemon's user, then delete it with: podman unshare rm -rf ${path}`,
  );
}
