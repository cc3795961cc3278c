// Deleting an app's data dir, which is not always the daemon's to delete. Volumes are mounted
// with `:U`, so an app running as a non-root user owns them as a sub-uid of the daemon's user,
// and a folder it made with mode 0700 cannot even be listed by the daemon. In the rootless user
// namespace (`podman unshare`) the daemon's user is root over its sub-uids, so that is where
// such a tree is removed. Plain `rm` is tried first: it is free, and enough for root-run apps.

import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { RpcErrorCode } from '../api/contract.js';
import { ArchyError } from '../util/errors.js';

const run = promisify(execFile);

/** A big datadir (a full node's blocks) takes a while to unlink. */
const UNSHARE_RM_TIMEOUT_MS = 10 * 60_000;

const isPermissionError = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM';
};

/**
 * Removes `path` and everything under it, including what container users (sub-uids) own. A
 * missing path is not an error. `path` must be one the daemon computed (an app's data dir),
 * never one a manifest or a user named: in the user namespace nothing the daemon owns is safe.
 */
export async function removeAppTree(path: string, options: { podmanBinary?: string } = {}): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch (error) {
    if (!isPermissionError(error)) throw error;
  }
  try {
    // `--`: the path is never read as an option. rm -rf removes a symlink, not what it points to.
    await run(options.podmanBinary ?? 'podman', ['unshare', 'rm', '-rf', '--', path], {
      timeout: UNSHARE_RM_TIMEOUT_MS,
    });
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new ArchyError(
      RpcErrorCode.PodmanError,
      `could not delete ${path}, which holds files of the app's container user: ` +
        `${(failure.stderr ?? failure.message).trim().split('\n')[0]}; check that 'podman unshare true' works ` +
        `for the daemon's user, then delete it with: podman unshare rm -rf ${path}`,
      { cause: error },
    );
  }
}
