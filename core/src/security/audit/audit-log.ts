import { chmod, mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Redactor } from '../secrets/redact.js';
import {
  ACTOR_PATTERN,
  AUTH_PATTERN,
  canonicalEntryJson,
  entryHash,
  GENESIS_HASH,
  SEAL,
  sha256Hex,
  toCanonicalJson,
  type AuditEntry,
  type AuditRecord,
  type AuditResult,
  type JsonValue,
} from './audit-entry.js';
import { anchorMac, auditLogPath, readAnchor, writeAnchor } from './audit-files.js';
import { formatAuditVerification } from './format.js';
import { verifyAuditLog } from './verify.js';

export interface AuditLogOptions {
  /**
   * The audit key (auditChainKey of the master key). With it every entry and the anchor are sealed
   * with an HMAC, so whoever can write the audit folder but not read the key cannot rewrite,
   * reorder or cut the log undetected; a log from before keyed chains is sealed on first open.
   * Without it, entries are only hash-chained (tests, tools).
   */
  chainKey?: Buffer;
  /** Secret values are blanked out of params and error results before they are written. */
  redactor?: Redactor;
  /** Clock, for tests. */
  now?: () => Date;
}

interface ChainHead {
  handle: FileHandle;
  seq: number;
  hash: string;
  /** Set when the log and the anchor disagreed at open (see openChain). */
  anchorFrozen: boolean;
  /** Whether the newest entry is sealed; false for an empty log. */
  sealed: boolean;
}

/**
 * The append-only, hash-chained audit log. Appends run one at a time (a write queue), each line
 * is fsynced before the anchor (`head.json`) moves to it, and only then does `append` resolve:
 * an operation's record is on disk before anyone is told it was recorded.
 *
 * One daemon owns a data dir; two processes appending to one log would fork the chain.
 */
export class AuditLog {
  private readonly path: string;
  private readonly redactor: Redactor | undefined;
  private readonly chainKey: Buffer | undefined;
  private readonly now: () => Date;
  private chain: ChainHead | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dataDir: string,
    options: AuditLogOptions = {},
  ) {
    this.path = auditLogPath(dataDir);
    this.redactor = options.redactor;
    this.chainKey = options.chainKey;
    this.now = options.now ?? (() => new Date());
  }

  async append(record: AuditRecord): Promise<AuditEntry> {
    if (!ACTOR_PATTERN.test(record.actor)) {
      throw new TypeError(
        `audit actor ${JSON.stringify(record.actor)} is not cli, monitor, system or web:<user>`,
      );
    }
    if (record.auth !== undefined && !AUTH_PATTERN.test(record.auth)) {
      throw new TypeError(`audit auth ${JSON.stringify(record.auth)} is not the name of an auth check`);
    }
    const run = this.queue.then(() => this.write(record));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs `operation` and records it with its outcome ('ok' or 'error: <message>'), then returns
   * or rethrows the operation's own result.
   */
  async record<T>(what: Omit<AuditRecord, 'result'>, operation: () => Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await operation();
    } catch (err) {
      await this.append({ ...what, result: auditResultOf(err) });
      throw err;
    }
    await this.append({ ...what, result: 'ok' });
    return value;
  }

  /**
   * The chain's head, opening the log if needed. `anchorFrozen` means the log and `head.json`
   * disagreed at open (a cut tail, a rewritten head): the daemon should warn and point the user
   * at `archy audit verify`.
   */
  head(): Promise<{ seq: number; hash: string; anchorFrozen: boolean }> {
    const run = this.queue.then(async () => {
      const head = await this.openedChain();
      return { seq: head.seq, hash: head.hash, anchorFrozen: head.anchorFrozen };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for queued appends and closes the file. */
  async close(): Promise<void> {
    await this.queue;
    await this.chain?.handle.close();
    this.chain = undefined;
  }

  /** The open chain; opening it seals a log from before keyed chains (see sealOldLog). */
  private async openedChain(): Promise<ChainHead> {
    if (this.chain) return this.chain;
    const head = await openChain(this.dataDir, this.path, this.chainKey);
    this.chain = head;
    if (this.chainKey && head.seq > 0 && !head.sealed) await this.sealOldLog(head, this.chainKey);
    return head;
  }

  /**
   * A log written before keyed chains: its entries are only hash-chained. It is checked as it is,
   * the anchor is sealed at its head, and a first sealed entry records the check's outcome; that
   * entry's `prev` names the old head, so from now on the old entries cannot change either.
   * The anchor goes first, so a crash in between leaves an anchor one behind, which open repairs.
   */
  private async sealOldLog(head: ChainHead, key: Buffer): Promise<void> {
    const before = await verifyAuditLog(this.dataDir);
    if (!head.anchorFrozen) await writeAnchor(this.dataDir, head, key);
    await this.write({
      actor: 'system',
      action: 'audit.keyed',
      target: null,
      params: { entriesBefore: head.seq, checkBefore: formatAuditVerification(before) },
      result: 'ok',
    });
  }

  private async write(record: AuditRecord): Promise<AuditEntry> {
    const head = await this.openedChain();
    const params = toCanonicalJson(
      this.redactor ? this.redactor.redact(record.params ?? {}) : (record.params ?? {}),
    );
    const result = (this.redactor ? this.redactor.redactString(record.result) : record.result) as AuditResult;
    const unsealed: Omit<AuditEntry, 'hash'> = {
      seq: head.seq + 1,
      time: this.now().toISOString(),
      actor: record.actor,
      ...(record.auth !== undefined && { auth: record.auth }),
      action: record.action,
      target:
        record.target !== null && this.redactor ? this.redactor.redactString(record.target) : record.target,
      params: params as Record<string, JsonValue>,
      result,
      prev: head.hash,
      ...(this.chainKey && { seal: SEAL }),
    };
    const entry: AuditEntry = { ...unsealed, hash: entryHash(unsealed, this.chainKey)! };
    try {
      await head.handle.appendFile(`${canonicalEntryJson(entry)}\n`);
      await head.handle.datasync();
      if (!head.anchorFrozen) await writeAnchor(this.dataDir, entry, this.chainKey);
    } catch (err) {
      // The file may now end in a torn line: reopen next time, which repairs it (see openChain).
      this.chain = undefined;
      await head.handle.close().catch(() => undefined);
      throw err;
    }
    head.seq = entry.seq;
    head.hash = entry.hash;
    head.sealed = entry.seal !== undefined;
    return entry;
  }
}

/** 'ok', or 'error: <first line of the message>' for a failed operation. */
export function auditResultOf(err?: unknown): AuditResult {
  if (err === undefined) return 'ok';
  const message = err instanceof Error ? err.message : String(err);
  return `error: ${message.split('\n')[0]!.slice(0, 500) || 'unknown error'}`;
}

/**
 * Opens the log for appending and finds the chain's head from its last line. Repairs what a crash
 * can leave behind: a torn last line past the anchor (written, never acknowledged) is cut off,
 * and an anchor one entry behind the log (crash between the two writes) is moved up. Anything
 * else is left exactly as found, for `archy audit verify` to report — and when log and anchor
 * disagree otherwise, the anchor is frozen rather than moved past the evidence.
 */
async function openChain(dataDir: string, path: string, key: Buffer | undefined): Promise<ChainHead> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await chmod(dirname(path), 0o700);
  const handle = await open(path, 'a+', 0o600);
  try {
    const { size } = await handle.stat();
    const tail = size > 0 ? await readTail(handle, size) : Buffer.alloc(0);
    const anchor = await readAnchor(dataDir);
    const anchoredSeq = typeof anchor === 'object' ? anchor.seq : 0;
    // Work in bytes up to the last newline: a torn line may end inside a multi-byte character.
    const complete = tail.lastIndexOf(0x0a) + 1;
    let lines = tail.subarray(0, complete).toString('utf8').split('\n');
    const tornBytes = tail.length - complete;
    if (tornBytes > 0) {
      const last = parseLast(lines.filter((line) => line.length > 0));
      if ((last?.seq ?? 0) >= anchoredSeq) {
        await handle.truncate(size - tornBytes);
        await handle.sync();
      } else {
        // The anchor covers it, so it is evidence: keep it, end its line, chain on from it.
        await handle.appendFile('\n');
        lines = [...lines, tail.subarray(complete).toString('utf8')];
      }
    }
    lines = lines.filter((line) => line.length > 0);
    const lastLine = lines.at(-1);
    const last = parseLast(lines);
    const head: ChainHead =
      lastLine === undefined
        ? { handle, seq: 0, hash: GENESIS_HASH, anchorFrozen: false, sealed: false }
        : {
            handle,
            seq: last?.seq ?? lines.length,
            hash: last?.hash ?? sha256Hex(lastLine),
            anchorFrozen: false,
            sealed: last?.seal !== undefined,
          };
    // With a key, an anchor must carry its seal once the log is sealed (or whenever it has one):
    // an unsealed head.json beside a sealed log is what someone cutting the tail would leave.
    const anchorGenuine =
      typeof anchor !== 'object' ||
      !key ||
      (anchor.mac === undefined ? !head.sealed : anchor.mac === anchorMac(key, anchor));
    const agrees =
      anchor === undefined
        ? head.seq === 0
        : anchor !== 'damaged' &&
          anchorGenuine &&
          ((anchor.seq === head.seq && anchor.hash === head.hash) ||
            (anchor.seq + 1 === head.seq && last?.prev === anchor.hash));
    if (!agrees) {
      // Moving the anchor now would erase the evidence (a cut tail, a rewritten head); keep
      // appending but leave the anchor where it is, so `archy audit verify` keeps saying so.
      head.anchorFrozen = true;
    } else if (typeof anchor === 'object' && anchor.seq + 1 === head.seq) {
      await writeAnchor(dataDir, head, key); // a crash between the log write and the anchor write
    }
    return head;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

function parseLast(lines: string[]): { seq: number; hash: string; prev: unknown; seal: unknown } | undefined {
  const line = lines.at(-1);
  if (!line) return undefined;
  try {
    const raw = JSON.parse(line) as { seq?: unknown; hash?: unknown; prev?: unknown; seal?: unknown };
    if (Number.isSafeInteger(raw.seq) && typeof raw.hash === 'string') {
      return { seq: raw.seq as number, hash: raw.hash, prev: raw.prev, seal: raw.seal };
    }
  } catch {
    // a garbled last line: the caller chains on from its digest and verify reports it
  }
  return undefined;
}

/**
 * The end of the file, starting at a line boundary: enough to hold the last complete line and
 * any torn one after it, without reading a years-long log whole at every start.
 */
async function readTail(handle: FileHandle, size: number): Promise<Buffer> {
  for (let chunk = 64 * 1024; ; chunk *= 4) {
    const start = Math.max(0, size - chunk);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    if (start === 0) return buffer;
    // Two newlines are needed: the one ending the last complete line and the one before it.
    const end = buffer.lastIndexOf(0x0a);
    const boundary = end > 0 ? buffer.lastIndexOf(0x0a, end - 1) : -1;
    if (boundary >= 0) return buffer.subarray(boundary + 1);
  }
}
