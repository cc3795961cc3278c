import { randomBytes } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KeyFileError, readKeyFileIfPresent, type KeyFile } from '../../util/read-key-file.js';
import { createFileExclusive } from '../../util/atomic-file.js';
import { SecretsError } from './secrets-error.js';
import { DataLayout } from '../../layout/index.js';

export const MASTER_KEY_BYTES = 32;
/** 64 hex characters and a newline; a little room for a hand-edited line ending. */
const MASTER_KEY_FILE_MAX_BYTES = 256;

/** `DATA_DIR/secrets/.master-key`: beside the secrets it opens, hidden from `list` by its dot. */
export const masterKeyPath = (dataDir: string): string => new DataLayout(dataDir).masterKeyFile;

/**
 * Loads the master key, or creates it when `create` is set and none exists. The file holds the
 * key as 64 hex characters and a newline, so it can be backed up and restored by copy and paste.
 *
 * A key file that group or others can read is refused rather than silently fixed: someone may
 * already have copied it, and the user should know.
 */
export async function loadOrCreateMasterKey(
  path: string,
  options: {
    create: boolean;
    /**
     * False for a systemd credential: systemd hands it over read-only and root-owned, the
     * service user reading it through an ACL (so its mode shows group bits); systemd, not the
     * file's mode, keeps others out there.
     */
    requirePrivateMode?: boolean;
  },
): Promise<Buffer> {
  const existing = await readMasterKey(path, options.requirePrivateMode ?? true);
  if (existing) return existing;
  if (!options.create) {
    throw new SecretsError(
      `master key ${path} is missing; restore it from your backup (without it the stored secrets cannot be decrypted)`,
    );
  }
  await createMasterKey(path);
  // Read back what is on disk: another process may have won the race to create it.
  const created = await readMasterKey(path, true);
  if (!created)
    throw new SecretsError(`master key ${path} vanished right after it was created; check the disk`);
  return created;
}

/** The key, or undefined when the file does not exist. */
async function readMasterKey(path: string, requirePrivateMode: boolean): Promise<Buffer | undefined> {
  let file: KeyFile | undefined;
  try {
    // No link followed, a regular file only, and its mode and owner from the descriptor read.
    file = await readKeyFileIfPresent(path, { maxBytes: MASTER_KEY_FILE_MAX_BYTES, what: 'master key' });
  } catch (error) {
    // SecretsError carries no cause: nothing read from the file may reach a log.
    if (error instanceof KeyFileError) throw new SecretsError(error.message);
    throw error;
  }
  if (!file) return undefined;
  if (requirePrivateMode) assertPrivateMode(path, file.mode, file.uid);
  const text = file.bytes.toString('utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) {
    throw new SecretsError(
      `master key ${path} is damaged (expected ${MASTER_KEY_BYTES * 2} hex characters); restore it from your backup`,
    );
  }
  return Buffer.from(text, 'hex');
}

function assertPrivateMode(path: string, mode: number, uid: number): void {
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(3, '0');
    throw new SecretsError(
      `master key ${path} has mode ${octal}, readable by other users; run: chmod 600 ${path} ` +
        '(and consider the stored secrets exposed if anyone else could log in)',
    );
  }
  const me = process.getuid?.();
  if (me !== undefined && uid !== me) {
    throw new SecretsError(
      `master key ${path} is owned by uid ${uid}, not by this user (${me}); run: chown ${me} ${path}`,
    );
  }
}

/** Creates the key with the same never-readable-by-others, never-torn guarantees as secret files. */
async function createMasterKey(path: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  // false means another process created it first: the caller reads back whichever won.
  await createFileExclusive(path, `${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`);
}
