import { lstat } from 'node:fs/promises';
import { CliError } from './cli-error.js';
import { readDaemonInfo } from '../daemon/daemon-info.js';

/**
 * The audit key of the node at `dataDir`, from its master key found as the daemon finds it (the
 * option, the systemd credential, the data dir); undefined when the node has no key at all (an
 * old node's plain log can still be checked). Never creates a key.
 */
export async function loadAuditKey(
  dataDir: string,
  keyFile: string | undefined,
): Promise<Buffer | undefined> {
  const { resolveMasterKeySource, describeMasterKeySource, loadOrCreateMasterKey } =
    await import('../security/secrets/index.js');
  const { auditChainKey } = await import('../security/audit/index.js');
  const source = resolveMasterKeySource(dataDir, { keyFile });
  const present = await lstat(source.path).then(
    () => true,
    () => false,
  );
  if (!present) {
    if (source.origin !== 'data-dir') {
      throw new CliError(`${describeMasterKeySource(source)} does not exist; the audit log's seals need it`);
    }
    return undefined;
  }
  const masterKey = await loadOrCreateMasterKey(source.path, {
    create: false,
    requirePrivateMode: source.origin !== 'systemd-credential',
  });
  return auditChainKey(masterKey);
}

/** True when a daemon is running on `dataDir` (its run/daemon.json names a live process). */
export async function daemonRunning(dataDir: string): Promise<number | undefined> {
  const info = await readDaemonInfo(dataDir);
  if (info === undefined) return undefined;
  const { pid } = info;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: the process exists, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? -1 : undefined;
  }
}
