import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';

/** `DATA_DIR/audit/audit.log`: one JSON entry per line, only ever appended to. */
export const auditLogPath = (dataDir: string): string => join(dataDir, 'audit', 'audit.log');

/**
 * `DATA_DIR/audit/head.json`: the seq and hash of the newest entry. A hash chain proves every
 * entry follows the one before, but not that nothing was cut from the end; the anchor does.
 */
export const auditAnchorPath = (dataDir: string): string => join(dataDir, 'audit', 'head.json');

export interface AuditAnchor {
  seq: number;
  hash: string;
}

/** The anchor; undefined when there is none; 'damaged' when it cannot be read as one. */
export async function readAnchor(dataDir: string): Promise<AuditAnchor | 'damaged' | undefined> {
  let text: string;
  try {
    text = await readFile(auditAnchorPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const raw = JSON.parse(text) as Partial<AuditAnchor>;
    if (Number.isSafeInteger(raw.seq) && (raw.seq as number) >= 0 && typeof raw.hash === 'string') {
      return { seq: raw.seq as number, hash: raw.hash };
    }
  } catch {
    // fall through
  }
  return 'damaged';
}

export function writeAnchor(dataDir: string, anchor: AuditAnchor): Promise<void> {
  return writeFileAtomic(
    auditAnchorPath(dataDir),
    `${JSON.stringify({ seq: anchor.seq, hash: anchor.hash })}\n`,
  );
}
