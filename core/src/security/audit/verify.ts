import { readFile } from 'node:fs/promises';
import {
  canonicalEntryJson,
  entryHash,
  entryShapeProblem,
  GENESIS_HASH,
  type AuditEntry,
} from './audit-entry.js';
import { auditLogPath, readAnchor, type AuditAnchor } from './audit-files.js';

export type AuditVerification =
  | { ok: true; entries: number; /** The newest entry's hash; null for an empty log. */ head: string | null }
  | { ok: false; /** 1-based line of the log where the problem shows. */ line: number; problem: string };

/**
 * Walks the whole log and checks every link: each line is the exact canonical form of its entry,
 * its hash matches its content, seq counts up from 1 without gaps, prev is the hash of the entry
 * before; then the anchor (`head.json`) must name the last entry — or the one before it, when a
 * crash fell between writing a line and moving the anchor. Reports the first problem found.
 */
export async function verifyAuditLog(dataDir: string): Promise<AuditVerification> {
  const path = auditLogPath(dataDir);
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const anchor = await readAnchor(dataDir);
  const lines = text.split('\n');
  const torn = lines.pop() ?? '';
  let prev = GENESIS_HASH;
  let last: AuditEntry | undefined;
  let atAnchor: string | undefined;
  for (const [index, line] of lines.entries()) {
    const lineNo = index + 1;
    const problem = lineProblem(line, lineNo, prev);
    if (typeof problem === 'string') return { ok: false, line: lineNo, problem };
    last = problem;
    prev = last.hash;
    if (typeof anchor === 'object' && last.seq === anchor.seq) atAnchor = last.hash;
  }
  if (torn.length > 0) {
    return {
      ok: false,
      line: lines.length + 1,
      problem:
        'the last line is incomplete (cut off mid-write); if the daemon crashed, starting it again repairs this',
    };
  }
  return checkAnchor(anchor, lines.length, last, atAnchor);
}

/** The parsed entry when line `lineNo` is sound and follows `prev`; otherwise what is wrong. */
function lineProblem(line: string, lineNo: number, prev: string): AuditEntry | string {
  if (line.length === 0) return 'empty line (an entry was blanked out)';
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return 'line is not valid JSON (garbled)';
  }
  const shape = entryShapeProblem(raw);
  if (shape) return `entry is malformed: ${shape}`;
  const entry = raw as AuditEntry;
  if (canonicalEntryJson(entry) !== line)
    return 'entry was edited (the line is not in the form the daemon writes)';
  if (entryHash(entry) !== entry.hash) return 'entry was edited (its hash does not match its content)';
  if (entry.seq !== lineNo) {
    return entry.seq > lineNo
      ? `expected seq ${lineNo} but found ${entry.seq}: entries before it were deleted or moved`
      : `expected seq ${lineNo} but found ${entry.seq}: entries were reordered or duplicated`;
  }
  if (entry.prev !== prev) {
    return 'prev does not match the hash of the entry before it: entries were removed, inserted or reordered';
  }
  return entry;
}

/** `atAnchor`: the hash of the entry whose seq the anchor names, if the log has it. */
function checkAnchor(
  anchor: AuditAnchor | 'damaged' | undefined,
  entries: number,
  last: AuditEntry | undefined,
  atAnchor: string | undefined,
): AuditVerification {
  if (anchor === 'damaged') {
    return {
      ok: false,
      line: entries,
      problem: 'audit/head.json is damaged, so a cut tail cannot be ruled out',
    };
  }
  if (anchor === undefined) {
    return entries === 0
      ? { ok: true, entries: 0, head: null }
      : {
          ok: false,
          line: entries,
          problem: 'audit/head.json is missing, so a cut tail cannot be ruled out',
        };
  }
  if (anchor.seq > entries) {
    return {
      ok: false,
      line: entries + 1,
      problem: `the log ends at seq ${entries} but head.json records seq ${anchor.seq}: entries were cut from the end`,
    };
  }
  if ((atAnchor ?? GENESIS_HASH) !== anchor.hash) {
    return {
      ok: false,
      line: Math.max(anchor.seq, 1),
      problem: `entry ${anchor.seq} is not the one head.json records: the log was rewritten from there on`,
    };
  }
  // The anchor may trail by one entry: a crash between writing the line and moving the anchor.
  if (entries - anchor.seq > 1) {
    return {
      ok: false,
      line: anchor.seq + 2,
      problem: `head.json records seq ${anchor.seq} but the log goes on to seq ${entries}: entries were added after the daemon's last write`,
    };
  }
  return { ok: true, entries, head: last?.hash ?? null };
}
