import { join } from 'node:path';

/**
 * Where Archipelago OS keeps what the daemon reads (design-18; the root tools in
 * os/rootfs/usr/lib/archipelago-os write the state files). `ARCHY_OS_ROOT` prefixes the image's
 * and the data partition's paths (tests; the root tools take the same variable), `ARCHY_OS_CMDLINE`
 * replaces /proc/cmdline.
 */
export interface OsImagePaths {
  /** One line: the running image's version. Absent: not Archipelago OS. */
  versionFile: string;
  /** The kernel command line, with archy.slot=a|b. */
  cmdline: string;
  /** This boot's id, to tell this boot's boot-check record from an earlier one. */
  bootId: string;
  /** Seconds since boot (first field), to tell an update made before this boot from one after. */
  uptime: string;
  updateState: string;
  bootState: string;
  bootFailed: string;
  /** ssh-switch's folder: the flag `enabled`, `authorized_keys` and the node's host key. */
  sshDir: string;
  /** Writable by the daemon's user (tmpfiles.d); archipelago-os-update.path watches `ready.tar` in it. */
  spool: string;
}

export function osImagePaths(env: NodeJS.ProcessEnv = process.env): OsImagePaths {
  const root = env.ARCHY_OS_ROOT ?? '';
  const state = join(root || '/', 'var/lib/archipelago-os');
  return {
    versionFile: join(root || '/', 'usr/lib/archipelago-os/version'),
    cmdline: env.ARCHY_OS_CMDLINE ?? '/proc/cmdline',
    bootId: env.ARCHY_OS_BOOT_ID_FILE ?? '/proc/sys/kernel/random/boot_id',
    uptime: env.ARCHY_OS_UPTIME_FILE ?? '/proc/uptime',
    updateState: join(state, 'update-state.json'),
    bootState: join(state, 'boot-state.json'),
    bootFailed: join(state, 'boot-failed.json'),
    sshDir: join(state, 'ssh'),
    spool: join(state, 'spool'),
  };
}

/** The spool's files: the download in progress, the finished bundle, and the request beside it. */
export const spoolFiles = (paths: OsImagePaths) => ({
  /** downloadFile streams into `${incoming}.part` and renames it to `incoming` when whole. */
  incoming: join(paths.spool, 'incoming.tar'),
  ready: join(paths.spool, 'ready.tar'),
  request: join(paths.spool, 'request.json'),
});
