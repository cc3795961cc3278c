// What the API says about backups (README "Backups"): snapshots, the running job's progress, the
// last result and the schedule. The wire's shapes; the daemon's backup/ module makes them.

/** Why a snapshot was made. */
export type BackupReason = 'manual' | 'schedule' | 'channel-backup';

/** One snapshot in a backup target, as `archy backup list` shows it. */
export interface BackupSnapshotInfo {
  /** restic's snapshot id (64 hex) and its short form. */
  id: string;
  shortId: string;
  time: string;
  /** The apps in it, with the version each ran. */
  apps: Array<{ id: string; version: string }>;
  reason: BackupReason;
  /** Bitcoin block and chainstate files are in it (`--include-chain`). */
  includesChain: boolean;
}

export type BackupPhase =
  | 'preparing'
  | 'stopping'
  | 'snapshot'
  | 'starting'
  | 'verifying'
  | 'restoring'
  | 'installing'
  | 'pruning'
  | 'done'
  | 'failed';

/** A backup, verify or restore while it runs (WebSocket `backup.progress`, `backup.status`). */
export interface BackupProgress {
  job: 'create' | 'verify' | 'restore' | 'prune';
  phase: BackupPhase;
  app?: string;
  /** 0–100 while restic reports it. */
  percent?: number;
  bytesDone?: number;
  bytesTotal?: number;
  startedAt: string;
}

/** How a finished job ended. */
export interface BackupResult {
  job: 'create' | 'verify' | 'restore' | 'prune';
  ok: boolean;
  startedAt: string;
  finishedAt: string;
  /** The snapshot made or restored. */
  snapshot?: string;
  apps: string[];
  /** The one-line reason when it failed, with what to do. */
  message?: string;
}

/** Which snapshots `restic forget` keeps after a scheduled backup. */
export interface BackupRetention {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
}

export interface BackupSchedule {
  enabled: boolean;
  /** Every N minutes, or daily at a time (`HH:MM`, the node's local time). */
  every?: number;
  at?: string;
  /** The apps; none: every installed app. */
  apps?: string[];
  includeChain: boolean;
  retention: BackupRetention;
}

/** `backup.status`: is a target set up, what runs, how the last jobs ended, when the next runs. */
export interface BackupStatus {
  /** The configured target (a path, `rest:…`, `sftp:…`), passwords in it masked. */
  target?: string;
  /** The user confirmed they kept the backup key. */
  keyConfirmed: boolean;
  running?: BackupProgress;
  last?: BackupResult;
  lastSuccess?: BackupResult;
  schedule?: BackupSchedule;
  nextRun?: string;
  /** LND's channel.backup: when it was last copied to the target. */
  channelBackup?: { app: string; copiedAt?: string; message?: string };
}

/** `backup.schedule`: the schedule (null: never set), when it runs next and how it last ended. */
export interface BackupScheduleReport {
  schedule: BackupSchedule | null;
  nextRun?: string;
  /** How the last scheduled run ended (its backup, or the prune after it when that failed). */
  last?: BackupResult;
  /** Why the last due run did not start (another job was running). */
  skipped?: { at: string; reason: string };
}

/** `backup.schedule` params: each field given changes the schedule; none: it is only shown. */
export interface BackupScheduleChange {
  /** Minutes between runs; null: daily (at `at`, default 03:00). */
  every?: number | null;
  /** `HH:MM` local time of a daily run. */
  at?: string;
  /** The apps; an empty list: every installed app. */
  apps?: string[];
  includeChain?: boolean;
  /** Replaces the retention's given keys (a key set to 0 is removed). */
  retention?: BackupRetention;
  /** false: `--off` (kept, not run); a change without it turns the schedule on. */
  enabled?: boolean;
}

/** `backup.restore` / `backup.restore-plan` (README "Restore"). */
export interface BackupRestoreParams {
  /** A snapshot id (or its short form), or `latest`. */
  snapshot: string;
  /** Only these apps; absent: every app in the snapshot. */
  apps?: string[];
  /** Another target than the node's (a fresh node names the one to restore from). */
  target?: string;
  /** The backup key, when this node does not keep it (as `archy backup init` showed it). */
  key?: string;
}

/** What a restore would do, nothing changed: the CLI asks before replacing installed apps' data. */
export interface RestorePlanView {
  /** The snapshot's full id (`latest` resolved). */
  snapshot: string;
  apps: string[];
  /** The apps installed here whose data the restore replaces. */
  replaces: string[];
}
