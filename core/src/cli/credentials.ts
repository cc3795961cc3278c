import { readFile, stat } from 'node:fs/promises';
import { cookiePath } from '../api/auth.js';
import { CliError } from './cli-error.js';

export interface DaemonCredentials {
  token: string;
  /** Named in errors, so a refused token points at the file it came from. */
  cookieFile: string;
}

/** `user 'archy'`, or the uid when no name is known; "its owner" when even that can't be read. */
async function ownerOf(path: string): Promise<string> {
  try {
    const { uid } = await stat(path);
    const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
    const name = passwd
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[2] === String(uid))?.[0];
    return name ? `user '${name}'` : `uid ${uid}`;
  } catch {
    return 'its owner';
  }
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
          ? `permission denied (it is readable only by ${await ownerOf(cookieFile)}, the user the daemon runs as)`
          : ((error as Error).message ?? String(error));
    const fix =
      code === 'EACCES'
        ? 'run archy as that user or as root (sudo archy …)'
        : "pass the daemon's --data-dir (or set ARCHY_DATA_DIR), or run as the daemon's user";
    throw new CliError(`cannot read the API token from ${cookieFile}: ${why}; ${fix}`, { cause: error });
  }
  const token = text.trim();
  if (token === '') {
    throw new CliError(`the API token file ${cookieFile} is empty; restart the daemon to write a new one`);
  }
  return { token, cookieFile };
}
