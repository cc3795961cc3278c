import { JsonFile, StoredFileError, type JsonFormat } from '../../util/json-store.js';
import { passwordRecordSchema, type PasswordRecord } from './password-hash.js';
import { DAEMON_FILES, DataLayout } from '../../layout/index.js';

export const WEB_AUTH_FILE_NAME = DAEMON_FILES.webAuth;

export function webAuthFilePath(dataDir: string): string {
  return new DataLayout(dataDir).webAuthFile;
}

// web-auth.json through the typed JSON store (version 1: files written before it was stamped).
const PASSWORD_FORMAT: JsonFormat<PasswordRecord> = {
  what: 'web password record',
  schema: passwordRecordSchema,
  version: 1,
  // Atomic and 0600: a crash never leaves a torn file, and other users can't read the hash.
  mode: 0o600,
};

/** The stored password hash, or undefined before the first-run setup. */
export async function readPasswordRecord(path: string): Promise<PasswordRecord | undefined> {
  try {
    return await new JsonFile(path, PASSWORD_FORMAT).read();
  } catch (error) {
    if (error instanceof StoredFileError)
      throw new Error(`${error.message}; ${RECOVERY_HINT}`, { cause: error });
    throw error;
  }
}

export async function writePasswordRecord(path: string, record: PasswordRecord): Promise<void> {
  await new JsonFile(path, PASSWORD_FORMAT).write(record);
}

const RECOVERY_HINT =
  'restore it from a backup, or stop the daemon and delete it to set a new web password at the next visit (the CLI keeps working meanwhile)';
