// Backups (README "Backups"): restic snapshots of apps, their records, configs and secrets.
export type { BackupJobs, CreateBackupRequest, RestoreRequest, ProgressListener } from './jobs.js';
export {
  runRestic,
  RESTIC_BINARY_ENV,
  type ResticRun,
  type ResticOutput,
  type ResticMessage,
} from './restic-runner.js';
export {
  ResticError,
  resticFailure,
  classifyResticFailure,
  damagedPacks,
  type ResticFailureKind,
} from './restic-errors.js';
export { parseTarget, maskTarget, checkLocalTarget, type BackupTarget } from './backup-target.js';
export { BackupConfigStore, type BackupConfig } from './backup-config.js';
export {
  generateBackupKey,
  normalizeBackupKey,
  lastKeyGroup,
  NodeBackupKey,
  BACKUP_KEY_SECRET,
} from './backup-key.js';
export {
  SNAPSHOT_META_DIR,
  BACKUP_FORMAT,
  snapshotPaths,
  appExcludes,
  datadirVolume,
  snapshotTags,
  versionTags,
  snapshotInfo,
  writeSnapshotMeta,
  removeSnapshotMeta,
  type BackupManifestFile,
  type SnapshotApp,
  type SnapshotAppFiles,
  type ResticSnapshot,
} from './snapshot-layout.js';
export {
  BackupService,
  CHANNEL_BACKUP_KEEP_LAST,
  type BackupServiceOptions,
  type InitRequest,
  type InitResult,
} from './backup-service.js';
export { BackupStateStore, type BackupStateFile } from './backup-state.js';
export {
  BackupScheduler,
  DEFAULT_RETENTION,
  applyChange,
  type BackupSchedulerOptions,
} from './schedule-runner.js';
export { BackupTimers, TEST_SCHEDULE_MINUTE_ENV, CHANNEL_BACKUP_POLL_ENV } from './schedule-daemon.js';
export {
  ScheduleStore,
  type StoredSchedule,
  type ScheduleState,
  type ChannelBackupState,
} from './schedule-store.js';
export { nextRunAfter, dueAt, parseEvery, parseAt, describeTiming } from './schedule-time.js';
export { ChannelBackupWatcher, type WatchedChannelBackup } from './channel-backup-watcher.js';
export { channelBackupLocation, runsLnd } from './channel-backup-path.js';
export { RestoreService, type RestoreServiceOptions } from './restore.js';
export { ResticSnapshotSource, type SnapshotSource } from './restore-source.js';
