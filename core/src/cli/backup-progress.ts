// A backup job's progress (`backup.progress` over /ws) on stderr: on a terminal one redrawn line
// with a bar while restic reports bytes, elsewhere a plain line per phase (logs stay short).

import type { BackupProgress } from '../api/contract.js';
import { formatBytes } from './format.js';
import type { ProgressOutput } from './progress-bar.js';

const PHASE_WORDS: Record<BackupProgress['phase'], string> = {
  preparing: 'opening the repository',
  stopping: 'stopping',
  snapshot: 'backing up',
  starting: 'starting again',
  verifying: 'checking the repository',
  restoring: 'restoring',
  installing: 'installing',
  pruning: 'removing old snapshots',
  done: 'done',
  failed: 'failed',
};

/** `backing up  [#####-----]  50%  1.2 MB/2.4 MB`, or the phase and its app. */
export function renderBackupProgress(progress: BackupProgress, columns: number): string {
  const words = `${PHASE_WORDS[progress.phase]}${progress.app ? ` ${progress.app}` : ''}`;
  if (progress.phase !== 'snapshot' || progress.percent === undefined) return words.slice(0, columns);
  const width = Math.max(10, Math.min(30, Math.floor(columns / 4)));
  const filled = Math.round((Math.min(100, Math.max(0, progress.percent)) / 100) * width);
  const bytes =
    progress.bytesDone !== undefined && progress.bytesTotal !== undefined
      ? `  ${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesTotal)}`
      : '';
  return `${words}  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]  ${Math.floor(progress.percent)}%${bytes}`.slice(
    0,
    columns,
  );
}

export class BackupProgressView {
  private lineOpen = false;
  private lastPhase: string | undefined;
  private lastDrawnAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly output: ProgressOutput) {}

  update(progress: BackupProgress): void {
    const phase = `${progress.phase}:${progress.app ?? ''}`;
    const changed = phase !== this.lastPhase;
    this.lastPhase = phase;
    if (this.output.isTTY) {
      const now = Date.now();
      if (!changed && now - this.lastDrawnAt < 100) return;
      this.lastDrawnAt = now;
      this.output.write(`\r${renderBackupProgress(progress, (this.output.columns ?? 80) - 1)}\x1b[K`);
      this.lineOpen = true;
    } else if (changed && progress.phase !== 'done' && progress.phase !== 'failed') {
      this.output.write(`${renderBackupProgress(progress, 200)}\n`);
    }
  }

  finish(): void {
    if (this.lineOpen) this.output.write('\n');
    this.lineOpen = false;
  }
}
