import type { AuditVerification } from './verify.js';

/** The one line `archy audit verify` prints (exit 0 when OK, non-zero when tampered). */
export function formatAuditVerification(result: AuditVerification): string {
  if (result.ok) {
    const keyed =
      result.keyedFrom === null
        ? result.entries > 0
          ? ', not sealed with a key'
          : ''
        : result.keyedFrom === 1
          ? ', all sealed with the node key'
          : `, sealed with the node key from entry ${result.keyedFrom}`;
    return `audit log OK: ${result.entries} entries${keyed}, head ${result.head ? result.head.slice(0, 12) : 'none'}`;
  }
  return `audit log TAMPERED at line ${result.line}: ${result.problem}`;
}
