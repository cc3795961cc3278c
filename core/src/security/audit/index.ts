// Public surface of the audit log: append-only, hash-chained, anchored against a cut tail.
export { AuditLog, auditResultOf, type AuditLogOptions } from './audit-log.js';
export {
  GENESIS_HASH,
  ACTOR_PATTERN,
  type AuditActor,
  type AuditEntry,
  type AuditRecord,
  type AuditResult,
  type JsonValue,
} from './audit-entry.js';
export { auditLogPath, auditAnchorPath, type AuditAnchor } from './audit-files.js';
export { verifyAuditLog, type AuditVerification } from './verify.js';
export { formatAuditVerification } from './format.js';
