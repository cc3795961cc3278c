import { createHash, createHmac, hkdfSync } from 'node:crypto';

/** Who asked: the local CLI, a web user, the health monitor, or the daemon itself (boot, auto-update). */
export type AuditActor = 'cli' | 'monitor' | 'system' | `web:${string}`;
export type AuditResult = 'ok' | `error: ${string}`;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a caller records; the log adds seq, time and the chain. */
export interface AuditRecord {
  actor: AuditActor;
  /**
   * How the caller proved who it is: the name of the auth check that accepted the request
   * (`bearer-token`, `web-session`, ...). Absent for the daemon's own actions.
   */
  auth?: string;
  /** The operation, e.g. `container-install`. */
  action: string;
  /** The app id acted on, or null for daemon-wide actions. */
  target: string | null;
  params?: Record<string, unknown>;
  result: AuditResult;
}

/** One line of `audit/audit.log`. */
export interface AuditEntry {
  /** 1 for the first entry, then +1 per entry. */
  seq: number;
  /** ISO-8601 UTC. */
  time: string;
  actor: AuditActor;
  auth?: string;
  action: string;
  target: string | null;
  /** Redacted before they are written. */
  params: Record<string, JsonValue>;
  result: AuditResult;
  /** `hash` of the previous entry; GENESIS_HASH for the first. */
  prev: string;
  /**
   * `hmac-sha256` on entries written with the node's audit key (see auditChainKey); absent on
   * entries written before keyed chains existed, whose hash is a plain SHA-256.
   */
  seal?: typeof SEAL;
  /**
   * This entry's canonical JSON without `hash`, digested: HMAC-SHA256 under the audit key when
   * `seal` is set, otherwise plain SHA-256 (hex).
   */
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
export const ACTOR_PATTERN = /^(cli|monitor|system|web:[A-Za-z0-9_.@-]{1,64})$/;
export const AUTH_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
export const SEAL = 'hmac-sha256';

/**
 * The key that seals audit entries, derived from the node's master key (HKDF-SHA256 with a label
 * of its own): nothing more to create, back up or keep outside the data dir, and a leak of this
 * key reveals neither the master key nor any secret.
 */
export function auditChainKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, 'archipelago', 'audit-log chain v1', 32));
}

/**
 * The one text form of an entry: fields in a fixed order, keys inside `params` sorted, no spaces.
 * The line in the file must be exactly this, so *any* byte edit shows, even one JSON would
 * consider meaningless.
 */
export function canonicalEntryJson(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  const ordered: Record<string, unknown> = {
    seq: entry.seq,
    time: entry.time,
    actor: entry.actor,
  };
  // Optional fields only when present: entries written before they existed keep their exact form.
  if (entry.auth !== undefined) ordered.auth = entry.auth;
  Object.assign(ordered, {
    action: entry.action,
    target: entry.target,
    params: sortKeysDeep(entry.params),
    result: entry.result,
    prev: entry.prev,
  });
  if (entry.seal !== undefined) ordered.seal = entry.seal;
  if (entry.hash !== undefined) ordered.hash = entry.hash;
  return JSON.stringify(ordered);
}

/**
 * The entry's `hash`: HMAC-SHA256 under `key` for a sealed entry, plain SHA-256 otherwise.
 * Undefined for a sealed entry when no key is given (it cannot be checked without one).
 */
export function entryHash(entry: Omit<AuditEntry, 'hash'>, key?: Buffer): string | undefined {
  const { hash: _ignored, ...unsealed } = entry as AuditEntry;
  const text = canonicalEntryJson(unsealed);
  if (entry.seal === undefined) return sha256Hex(text);
  return key ? hmacHex(key, text) : undefined;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
export const hmacHex = (key: Buffer, text: string): string =>
  createHmac('sha256', key).update(text, 'utf8').digest('hex');

/** A JSON-safe copy: keys sorted at every depth, undefined dropped, non-JSON values as strings. */
export function toCanonicalJson(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : toCanonicalJson(item)));
  if (typeof value === 'object') return sortKeysDeep(value as Record<string, unknown>);
  return String(value);
}

function sortKeysDeep(value: Record<string, unknown>): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value).sort()) {
    const item = value[key];
    if (item !== undefined) out[key] = toCanonicalJson(item);
  }
  return out;
}

/** Checks a parsed line has every field with the right type; returns what is wrong, or undefined. */
export function entryShapeProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'line is not a JSON object';
  const e = raw as Record<string, unknown>;
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return 'seq is not a positive integer';
  if (typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time))) return 'time is not a timestamp';
  if (typeof e.actor !== 'string' || !ACTOR_PATTERN.test(e.actor))
    return 'actor is not a known kind of actor';
  if (e.auth !== undefined && (typeof e.auth !== 'string' || !AUTH_PATTERN.test(e.auth)))
    return 'auth is not the name of an auth check';
  if (typeof e.action !== 'string' || e.action.length === 0) return 'action is missing';
  if (e.target !== null && typeof e.target !== 'string') return 'target is neither an app id nor null';
  if (typeof e.params !== 'object' || e.params === null || Array.isArray(e.params))
    return 'params is not an object';
  if (typeof e.result !== 'string' || !(e.result === 'ok' || e.result.startsWith('error: ')))
    return "result is neither 'ok' nor 'error: ...'";
  if (typeof e.prev !== 'string' || !/^[0-9a-f]{64}$/.test(e.prev)) return 'prev is not a SHA-256 hex digest';
  if (e.seal !== undefined && e.seal !== SEAL) return `seal is neither absent nor '${SEAL}'`;
  if (typeof e.hash !== 'string' || !/^[0-9a-f]{64}$/.test(e.hash)) return 'hash is not a SHA-256 hex digest';
  return undefined;
}
