import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { passwordRecordSchema, type PasswordRecord } from './password-hash.js';
import { DAEMON_FILES, DataLayout } from '../../layout/index.js';

export const WEB_AUTH_FILE_NAME = DAEMON_FILES.webAuth;

export function webAuthFilePath(dataDir: string): string {
  return new DataLayout(dataDir).webAuthFile;
}

/** The stored password hash, or undefined before the first-run setup. */
export async function readPasswordRecord(path: string): Promise<PasswordRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON; ${RECOVERY_HINT}`);
  }
  const result = passwordRecordSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `${path} is not a web password record (${issue?.path.join('.') || 'root'}: ${issue?.message}); ${RECOVERY_HINT}`,
    );
  }
  return result.data;
}

/** Atomic and 0600: a crash never leaves a torn file, and other users can't read the hash. */
export async function writePasswordRecord(path: string, record: PasswordRecord): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

const RECOVERY_HINT =
  'restore it from a backup, or stop the daemon and delete it to set a new web password at the next visit (the CLI keeps working meanwhile)';
