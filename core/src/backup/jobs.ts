// The backup jobs as the rest of the daemon sees them (issue 17): the schedule, the channel-backup
// watcher and the API call these; backup-service.ts implements them with restic. Only one job runs
// at a time per node (a second one waits or is refused with what runs now).

import type {
  BackupProgress,
  BackupReason,
  BackupResult,
  BackupRetention,
  BackupSnapshotInfo,
  BackupStatus,
} from '../kernel/index.js';

export interface CreateBackupRequest {
  /** The apps to back up; none: every installed app. */
  apps?: string[];
  /** A target other than the configured one (a path, `rest:…`, `sftp:…`). */
  target?: string;
  /** Also Bitcoin's blocks/ and chainstate/ (they re-sync otherwise). */
  includeChain?: boolean;
  reason: BackupReason;
}

export interface RestoreRequest {
  /** A snapshot id (or its short form), or `latest`. */
  snapshot: string;
  /** The apps to restore; none: every app in the snapshot. */
  apps?: string[];
  /** A target other than the configured one: a fresh node restores from the target it names. */
  target?: string;
  /** The backup key, when this node does not keep it (a fresh node). */
  key?: string;
}

export type ProgressListener = (progress: BackupProgress) => void;

export interface BackupJobs {
  create(request: CreateBackupRequest, onProgress?: ProgressListener): Promise<BackupSnapshotInfo>;
  list(target?: string): Promise<BackupSnapshotInfo[]>;
  /** `restic check` (with `readData`, every pack is read back and its hash checked). */
  verify(
    options: { target?: string; readData?: boolean },
    onProgress?: ProgressListener,
  ): Promise<BackupResult>;
  restore(request: RestoreRequest, onProgress?: ProgressListener): Promise<BackupResult>;
  /** `restic forget --prune` with the retention; snapshots of the channel backup are kept by their own rule. */
  forget(retention: BackupRetention): Promise<BackupResult>;
  /** Copies one file (LND's channel.backup) into the target at once, as its own small snapshot. */
  copyFile(appId: string, file: string): Promise<BackupSnapshotInfo>;
  status(): Promise<BackupStatus>;
}
