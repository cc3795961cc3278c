import { readFile } from 'node:fs/promises';
import { cookiePath } from '../api/auth.js';
import { CliError } from './cli-error.js';

export interface DaemonCredentials {
  token: string;
  /** Named in errors, so a refused token points at the file it came from. */
  cookieFile: string;
}

/** Reads the API token the daemon wrote to DATA_DIR/.cookie. */
export async function readDaemonCredentials(dataDir: string): Promise<DaemonCredentials> {
  const cookieFile = cookiePath(dataDir);
  let text: string;
  try {
    text = await readFile(cookieFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist (is the daemon running with this data dir?)'
        : code === 'EACCES'
          ? "permission denied (it is readable only by the daemon's user)"
          : ((error as Error).message ?? String(error));
    throw new CliError(
      `cannot read the API token from ${cookieFile}: ${why}; pass the daemon's --data-dir (or set ARCHY_DATA_DIR), or run as the daemon's user`,
      { cause: error },
    );
  }
  const token = text.trim();
  if (token === '') {
    throw new CliError(`the API token file ${cookieFile} is empty; restart the daemon to write a new one`);
  }
  return { token, cookieFile };
}
