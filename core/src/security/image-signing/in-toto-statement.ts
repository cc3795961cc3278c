import { digestHex, type Digest } from './digest.js';

/**
 * The in-toto Statement an attestation's envelope carries: which artifacts (by digest) the
 * predicate is about, and what kind of predicate it is. cosign attests images with
 * `_type` v0.1 (in-toto-golang's StatementInTotoV01) and a single subject named after the
 * repository; we write the same, and accept v1 statements too (same fields, newer name).
 */
export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
const STATEMENT_TYPES = [IN_TOTO_STATEMENT_V01, IN_TOTO_STATEMENT_V1];

export interface StatementSubject {
  name: string;
  digest: Record<string, string>;
}

export interface InTotoStatement {
  _type: string;
  predicateType: string;
  subject: StatementSubject[];
  predicate: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The statement bytes for one image: subject `registry/repository` at its manifest digest. */
export function buildStatement(
  subjectName: string,
  manifestDigest: Digest,
  predicateType: string,
  predicate: Record<string, unknown>,
): Buffer {
  const statement: InTotoStatement = {
    _type: IN_TOTO_STATEMENT_V01,
    predicateType,
    subject: [{ name: subjectName, digest: { sha256: digestHex(manifestDigest) } }],
    predicate,
  };
  return Buffer.from(JSON.stringify(statement), 'utf8');
}

export type StatementParse = { ok: true; statement: InTotoStatement } | { ok: false; problem: string };

/** Reads a statement strictly: every field a verifier relies on must be there with its type. */
export function parseStatement(bytes: Uint8Array): StatementParse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, problem: 'the statement is not JSON' };
  }
  if (!isObject(parsed)) return { ok: false, problem: 'the statement is not a JSON object' };
  const { _type, predicateType, subject, predicate } = parsed;
  if (typeof _type !== 'string' || !STATEMENT_TYPES.includes(_type))
    return { ok: false, problem: `"_type" is ${JSON.stringify(_type)}, not an in-toto Statement` };
  if (typeof predicateType !== 'string' || predicateType === '')
    return { ok: false, problem: 'the statement has no predicateType' };
  if (!Array.isArray(subject) || subject.length === 0)
    return { ok: false, problem: 'the statement has no subject' };
  const subjects: StatementSubject[] = [];
  for (const s of subject) {
    if (!isObject(s) || !isObject(s.digest))
      return { ok: false, problem: 'a statement subject has no digest' };
    const digest = Object.fromEntries(
      Object.entries(s.digest).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    subjects.push({ name: typeof s.name === 'string' ? s.name : '', digest });
  }
  if (!isObject(predicate)) return { ok: false, problem: 'the statement has no predicate object' };
  return { ok: true, statement: { _type, predicateType, subject: subjects, predicate } };
}

/** Whether a subject names exactly this manifest digest (sha256, compared lowercase). */
export const statementCovers = (statement: InTotoStatement, manifestDigest: Digest): boolean =>
  statement.subject.some((s) => s.digest.sha256?.toLowerCase() === digestHex(manifestDigest));
