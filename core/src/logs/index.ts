// The apps' kept output, logs/<app-id>/ (README "Kept logs").
export { KeptLogs, type KeptLogQuery, type KeptLogsOptions } from './kept-logs.js';
export {
  DEFAULT_KEPT_LOG_LIMITS,
  MIN_KEPT_LOG_FILE_BYTES,
  parseByteSize,
  type KeptLogLimits,
} from './kept-log-limits.js';
export { normaliseLogTime, resolveLogTime } from './log-time.js';
export { LOG_SPOOL_LABEL } from './log-spool.js';
