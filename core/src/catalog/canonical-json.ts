// The bytes a signature covers. JSON text is not unique (key order, spacing, escapes), so signer
// and verifier both serialize the parsed value the same way: object keys sorted, no whitespace,
// integers only — the canonical form TUF signs (OLPC canonical JSON minus its odd escaping).

import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    // Floats have more than one text form; signed metadata never needs them.
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON holds only integers, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
}

export const canonicalBytes = (value: unknown): Buffer => Buffer.from(canonicalJson(value), 'utf8');

/** sha256:<hex> of the canonical form: identifies one metadata content whatever its spacing. */
export const canonicalDigest = (value: unknown): string =>
  `sha256:${createHash('sha256').update(canonicalBytes(value)).digest('hex')}`;
