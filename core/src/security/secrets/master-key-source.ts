import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { masterKeyPath } from './master-key.js';

/**
 * Where the master key comes from:
 * - `option`: `archy daemon --master-key-file PATH` (or ARCHY_MASTER_KEY_FILE), a file outside the
 *   data dir — on removable media, or a path only the service can read;
 * - `systemd-credential`: `$CREDENTIALS_DIRECTORY/archipelago-master-key`, what systemd's
 *   `LoadCredential=`/`LoadCredentialEncrypted=` hand a service (possibly sealed to the TPM);
 * - `data-dir`: `DATA_DIR/secrets/.master-key` beside the secrets, the default, made at first use.
 * Only `data-dir` is ever created by the daemon: a key configured elsewhere that is missing is an
 * error, never a reason to make a new one (that would orphan every stored secret).
 */
export type MasterKeyOrigin = 'option' | 'systemd-credential' | 'data-dir';

export interface MasterKeySource {
  path: string;
  origin: MasterKeyOrigin;
}

export const MASTER_KEY_FILE_ENV = 'ARCHY_MASTER_KEY_FILE';
export const MASTER_KEY_CREDENTIAL = 'archipelago-master-key';

/** The option wins, then a systemd credential that is present, then the data dir. */
export function resolveMasterKeySource(
  dataDir: string,
  options: { keyFile?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): MasterKeySource {
  if (options.keyFile) return { path: resolve(options.keyFile), origin: 'option' };
  const credentials = (options.env ?? process.env).CREDENTIALS_DIRECTORY;
  if (credentials) {
    const path = join(credentials, MASTER_KEY_CREDENTIAL);
    if (existsSync(path)) return { path, origin: 'systemd-credential' };
  }
  return { path: masterKeyPath(dataDir), origin: 'data-dir' };
}

/** How a message names the source, so the user knows which setting to fix. */
export function describeMasterKeySource(source: MasterKeySource): string {
  switch (source.origin) {
    case 'option':
      return `master key ${source.path} (from --master-key-file / ${MASTER_KEY_FILE_ENV})`;
    case 'systemd-credential':
      return `master key ${source.path} (the systemd credential ${MASTER_KEY_CREDENTIAL})`;
    case 'data-dir':
      return `master key ${source.path}`;
  }
}
