import type { AuditVerification } from './verify.js';

/** The one line `archy audit verify` prints (exit 0 when OK, non-zero when tampered). */
export function formatAuditVerification(result: AuditVerification): string {
  if (result.ok) {
    return `audit log OK: ${result.entries} entries, head ${result.head ? result.head.slice(0, 12) : 'none'}`;
  }
  return `audit log TAMPERED at line ${result.line}: ${result.problem}`;
}
