import { z } from 'zod';
import { JsonFile, StoredFileError, type JsonFormat } from '../../util/json-store.js';
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

// head.json through the typed JSON store (version 1: anchors written before it was stamped).
const ANCHOR_FORMAT: JsonFormat<AuditAnchor> = {
  what: 'audit anchor',
  schema: z.object({
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    hash: z.string(),
    mac: z.string().optional(),
  }),
  version: 1,
};

const anchorFile = (dataDir: string) => new JsonFile(auditAnchorPath(dataDir), ANCHOR_FORMAT);

/** The anchor; undefined when there is none; 'damaged' when it cannot be read as one. */
export async function readAnchor(dataDir: string): Promise<AuditAnchor | 'damaged' | undefined> {
  try {
    return await anchorFile(dataDir).read();
  } catch (err) {
    if (err instanceof StoredFileError) return 'damaged';
    throw err;
  }
}

/** Writes the anchor, sealed with `key` when there is one. */
export function writeAnchor(
  dataDir: string,
  anchor: { seq: number; hash: string },
  key: Buffer | undefined,
): Promise<void> {
  const { seq, hash } = anchor;
  return anchorFile(dataDir).write(key ? { seq, hash, mac: anchorMac(key, anchor) } : { seq, hash });
}
