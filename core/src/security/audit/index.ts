// Public surface of the audit log: append-only, chained and sealed with a key kept outside the
// audit folder (derived from the master key), anchored against a cut tail.
export { AuditLog, auditResultOf, type AuditLogOptions } from './audit-log.js';
export {
  GENESIS_HASH,
  ACTOR_PATTERN,
  AUTH_PATTERN,
  auditChainKey,
  type AuditActor,
  type AuditEntry,
  type AuditRecord,
  type AuditResult,
  type JsonValue,
} from './audit-entry.js';
export { auditLogPath, auditAnchorPath, type AuditAnchor } from './audit-files.js';
export { verifyAuditLog, type AuditVerification, type VerifyOptions } from './verify.js';
export { formatAuditVerification } from './format.js';
