import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { hmacHex } from './audit-entry.js';
import { DataLayout } from '../../layout/index.js';

/** `DATA_DIR/audit/audit.log`: one JSON entry per line, only ever appended to. */
export const auditLogPath = (dataDir: string): string => new DataLayout(dataDir).auditLogFile;

/**
 * `DATA_DIR/audit/head.json`: the seq and hash of the newest entry. A hash chain proves every
 * entry follows the one before, but not that nothing was cut from the end; the anchor does.
 */
export const auditAnchorPath = (dataDir: string): string => new DataLayout(dataDir).auditAnchorFile;

export interface AuditAnchor {
  seq: number;
  hash: string;
  /**
   * HMAC of seq and hash under the audit key (anchorMac): without it, whoever can write the audit
   * folder could cut the log's tail and write a head.json to match.
   */
  mac?: string;
}

export const anchorMac = (key: Buffer, anchor: { seq: number; hash: string }): string =>
  hmacHex(key, `archipelago audit anchor\0${anchor.seq}\0${anchor.hash}`);

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
      const anchor: AuditAnchor = { seq: raw.seq as number, hash: raw.hash };
      if (typeof raw.mac === 'string') anchor.mac = raw.mac;
      return anchor;
    }
  } catch {
    // fall through
  }
  return 'damaged';
}

/** Writes the anchor, sealed with `key` when there is one. */
export function writeAnchor(
  dataDir: string,
  anchor: { seq: number; hash: string },
  key: Buffer | undefined,
): Promise<void> {
  const { seq, hash } = anchor;
  const sealed = key ? { seq, hash, mac: anchorMac(key, anchor) } : { seq, hash };
  return writeFileAtomic(auditAnchorPath(dataDir), `${JSON.stringify(sealed)}\n`);
}
