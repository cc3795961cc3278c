import { readFile } from 'node:fs/promises';
import {
  canonicalEntryJson,
  entryHash,
  entryShapeProblem,
  GENESIS_HASH,
  type AuditEntry,
} from './audit-entry.js';
import { anchorMac, auditLogPath, readAnchor, type AuditAnchor } from './audit-files.js';

export type AuditVerification =
  | {
      ok: true;
      entries: number;
      /** The newest entry's hash; null for an empty log. */
      head: string | null;
      /** Seq of the first entry sealed with the node's key (older ones are plain); null if none. */
      keyedFrom: number | null;
    }
  | { ok: false; /** 1-based line of the log where the problem shows. */ line: number; problem: string };

export interface VerifyOptions {
  /**
   * The audit key (auditChainKey of the master key). Without it only unsealed (pre-key) logs can
   * be checked: a sealed entry is reported as uncheckable.
   */
  key?: Buffer;
}

/**
 * Walks the whole log and checks every link: each line is the exact canonical form of its entry,
 * its seal (HMAC under the node's key) or, for entries from before keyed chains, its hash matches
 * its content, seq counts up from 1 without gaps, prev is the hash of the entry before, and no
 * unsealed entry follows a sealed one; then the anchor (`head.json`, sealed too) must name the
 * last entry — or the one before it, when a crash fell between writing a line and moving the
 * anchor. Reports the first problem found.
 */
export async function verifyAuditLog(
  dataDir: string,
  options: VerifyOptions = {},
): Promise<AuditVerification> {
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
  let keyedFrom: number | undefined;
  for (const [index, line] of lines.entries()) {
    const lineNo = index + 1;
    const problem = lineProblem(line, lineNo, prev, options.key, keyedFrom !== undefined);
    if (typeof problem === 'string') return { ok: false, line: lineNo, problem };
    last = problem;
    prev = last.hash;
    if (last.seal !== undefined) keyedFrom ??= last.seq;
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
  if (options.key && lines.length > 0 && keyedFrom === undefined) {
    return {
      ok: false,
      line: lines.length,
      problem:
        "no entry is sealed with this node's key: the log was rewritten by someone without the key, " +
        'or the daemon has not run since keyed logs came in (start it once to seal the log)',
    };
  }
  const anchorProblem = checkAnchor(anchor, lines.length, atAnchor, options.key, keyedFrom !== undefined);
  if (anchorProblem) return anchorProblem;
  return { ok: true, entries: lines.length, head: last?.hash ?? null, keyedFrom: keyedFrom ?? null };
}

/** The parsed entry when line `lineNo` is sound and follows `prev`; otherwise what is wrong. */
function lineProblem(
  line: string,
  lineNo: number,
  prev: string,
  key: Buffer | undefined,
  afterSealed: boolean,
): AuditEntry | string {
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
  if (entry.seal === undefined && afterSealed) {
    return 'entry is not sealed, but entries before it are: it was written or rewritten by someone without the key';
  }
  const expected = entryHash(entry, key);
  if (expected === undefined) {
    return "entry is sealed with the node's key, and no key was given to check it (see --master-key-file)";
  }
  if (expected !== entry.hash) {
    return entry.seal === undefined
      ? 'entry was edited (its hash does not match its content)'
      : "entry was edited or forged (its seal does not match its content under this node's key)";
  }
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
  atAnchor: string | undefined,
  key: Buffer | undefined,
  sealed: boolean,
): AuditVerification | undefined {
  if (anchor === 'damaged') {
    return {
      ok: false,
      line: entries,
      problem: 'audit/head.json is damaged, so a cut tail cannot be ruled out',
    };
  }
  if (anchor === undefined) {
    return entries === 0
      ? undefined
      : {
          ok: false,
          line: entries,
          problem: 'audit/head.json is missing, so a cut tail cannot be ruled out',
        };
  }
  // A sealed log needs a sealed anchor: otherwise anyone could cut the tail and write one to match.
  if (key && (sealed || anchor.mac !== undefined) && anchor.mac !== anchorMac(key, anchor)) {
    return {
      ok: false,
      line: Math.min(Math.max(anchor.seq, 1), Math.max(entries, 1)),
      problem:
        anchor.mac === undefined
          ? "audit/head.json is not sealed with this node's key, so a cut tail cannot be ruled out"
          : "audit/head.json is forged or damaged (its seal does not match under this node's key)",
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
  return undefined;
}
