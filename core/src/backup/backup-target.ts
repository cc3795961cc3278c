// Where backups go (README "Backups", targets): a local path (a mounted USB disk is one), restic's
// REST protocol (`rest:http(s)://[user:pass@]host:port/path`: rest-server, or `rclone serve
// restic`), or `sftp:user@host:/path` (passed through to restic as it is; documented, not tested).
// A REST URL may carry a password: it is kept in a 0600 file and masked wherever it is shown.

import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';

export type BackupTarget =
  | { kind: 'local'; repository: string }
  | { kind: 'rest'; repository: string }
  | { kind: 'sftp'; repository: string };

/** Reads what the user typed as a target; throws an InvalidParams ArchyError saying the forms. */
export function parseTarget(text: string): BackupTarget {
  const value = text.trim();
  if (value.startsWith('rest:')) {
    let url: URL;
    try {
      url = new URL(value.slice('rest:'.length));
    } catch {
      throw invalid(value, 'the part after rest: is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw invalid(value, 'a REST target is http(s)://');
    return { kind: 'rest', repository: value };
  }
  if (value.startsWith('sftp:')) {
    if (!/^sftp:[^\s]+:.+/.test(value) && !/^sftp:\/\/[^\s]+/.test(value)) {
      throw invalid(value, 'an SFTP target is sftp:user@host:/path');
    }
    return { kind: 'sftp', repository: value };
  }
  if (/^[a-z][a-z0-9+]*:/i.test(value)) {
    throw invalid(value, `restic target kind '${value.split(':')[0]}' is not one Archipelago supports`);
  }
  if (!isAbsolute(value)) throw invalid(value, 'a local target is an absolute path');
  return { kind: 'local', repository: resolve(value) };
}

function invalid(value: string, why: string): ArchyError {
  return new ArchyError(
    RpcErrorCode.InvalidParams,
    `'${maskTarget(value)}' is not a backup target: ${why}; use an absolute path (a mounted disk), ` +
      'rest:http(s)://[user:pass@]host:port/path or sftp:user@host:/path',
  );
}

/** The target as it may be shown: a password in a REST URL becomes `***`. */
export function maskTarget(text: string): string {
  return text.replace(/^(rest:[a-z][a-z0-9+.-]*:\/\/[^:/@]+:)[^@/]*@/i, '$1***@');
}

/**
 * Refuses a local target on the data dir's own filesystem unless the user says `sameDisk`: a
 * backup on the disk it protects is lost with that disk. The nearest existing folder of the
 * target decides (the repository folder itself may not exist yet).
 */
export async function checkLocalTarget(
  target: BackupTarget,
  dataDir: string,
  options: { sameDisk?: boolean } = {},
): Promise<void> {
  if (target.kind !== 'local') return;
  const repo = target.repository;
  const data = resolve(dataDir);
  if (repo === data || repo.startsWith(`${data}/`)) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `the backup target ${repo} is inside the data dir ${data}: a backup would back up itself and be lost with the node; choose a folder elsewhere (a mounted USB disk)`,
    );
  }
  if (options.sameDisk) return;
  const [targetDevice, dataDevice] = await Promise.all([deviceOf(repo), deviceOf(data)]);
  if (targetDevice !== undefined && targetDevice === dataDevice) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `the backup target ${repo} is on the same disk as the data dir ${data}: a failing disk would take the node and its backup together; ` +
        'use a mounted USB disk or a remote target, or say --same-disk if you mean it (e.g. to copy it elsewhere yourself)',
    );
  }
}

async function deviceOf(path: string): Promise<number | undefined> {
  for (let current = path; ; current = dirname(current)) {
    const found = await stat(current).catch(() => undefined);
    if (found) return found.dev;
    if (dirname(current) === current) return undefined;
  }
}
