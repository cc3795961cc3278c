// Where the ingest of one app stands, in logs/<id>/spool/state.json: per spool file the inode and
// the offset up to which its lines are kept, and, while a batch is being appended, the size
// current.log had before it. A batch is: state with `pending` → append → state with the new
// offsets. A crash anywhere in between leaves current.log cut back to `pending` at the next start
// and the batch read again from the old offsets: no line lost, none kept twice.
//
// Written by rename without fsync: a SIGKILL keeps the order of these steps (the page cache
// survives it); a power cut may not, and then a batch may be kept twice or not at all.

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface SpoolCursor {
  /** The spool file's inode: conmon replaces a full spool with a new file under the same name. */
  ino: number;
  offset: number;
  /** The container (12-hex short id) once known; lines of a spool whose container was never seen get the spool's name. */
  container?: string;
  service: string;
}

export interface IngestState {
  spools: Record<string, SpoolCursor>;
  /** current.log's size before the batch being appended; absent between batches. */
  pending?: number;
}

export const STATE_FILE = 'state.json';

const { O_RDONLY, O_NOFOLLOW } = constants;

export async function loadIngestState(spoolDir: string): Promise<IngestState> {
  try {
    const handle = await open(join(spoolDir, STATE_FILE), O_RDONLY | O_NOFOLLOW);
    try {
      const parsed = JSON.parse(await handle.readFile('utf8')) as Partial<IngestState>;
      return {
        spools: typeof parsed.spools === 'object' && parsed.spools !== null ? parsed.spools : {},
        ...(typeof parsed.pending === 'number' && { pending: parsed.pending }),
      };
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError)
      return { spools: {} };
    throw error;
  }
}

export async function saveIngestState(spoolDir: string, state: IngestState): Promise<void> {
  const tmp = join(spoolDir, `.${STATE_FILE}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(state));
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(tmp, join(spoolDir, STATE_FILE));
}
