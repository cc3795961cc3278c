import type { PullProgress } from '../api/contract.js';
import { formatBytes } from './format.js';

/** Done fraction 0..1 by bytes, else by layers; undefined while the sizes are still unknown. */
export function pullFraction(progress: PullProgress): number | undefined {
  if (progress.totalBytes > 0) return clamp(progress.completedBytes / progress.totalBytes);
  if (progress.layersTotal > 0) return clamp(progress.layersDone / progress.layersTotal);
  return undefined;
}

function clamp(fraction: number): number {
  return Math.min(1, Math.max(0, fraction));
}

function amounts(progress: PullProgress): string {
  const bytes =
    progress.totalBytes > 0
      ? `${formatBytes(progress.completedBytes)}/${formatBytes(progress.totalBytes)}`
      : formatBytes(progress.completedBytes);
  return `${bytes}  layers ${progress.layersDone}/${progress.layersTotal}`;
}

function percent(fraction: number | undefined): string {
  return fraction === undefined ? '  ?%' : `${Math.floor(fraction * 100)}%`.padStart(4);
}

/**
 * One terminal line, at most `columns` wide:
 * `pulling 127.0.0.1:5000/apps/hello:1.0  [######------]  50%  1.2 MB/2.4 MB  layers 1/2`.
 */
export function renderProgressBar(progress: PullProgress, columns: number): string {
  const fraction = pullFraction(progress);
  const tail = `  ${percent(fraction)}  ${amounts(progress)}`;
  const barWidth = Math.max(10, Math.min(30, Math.floor(columns / 4)));
  const room = columns - tail.length - barWidth - 4 - 'pulling '.length;
  const image =
    progress.image.length <= room ? progress.image : `…${progress.image.slice(-(Math.max(room, 2) - 1))}`;
  const filled = fraction === undefined ? 0 : Math.round(fraction * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  return `pulling ${image}  ${bar}${tail}`.slice(0, columns);
}

/** For logs and pipes: `pulling IMAGE: 50% (1.2 MB/2.4 MB  layers 1/2)`. */
export function renderProgressLine(progress: PullProgress): string {
  return `pulling ${progress.image}: ${percent(pullFraction(progress)).trim()} (${amounts(progress)})`;
}

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Shows pull progress on a terminal as one redrawn line, and elsewhere (CI logs, pipes) as a
 * plain line every few seconds, so a long pull shows life without flooding the log.
 */
export class PullProgressView {
  private lastDrawnAt = Number.NEGATIVE_INFINITY;
  private lastShown: PullProgress | undefined;
  private lineOpen = false;

  constructor(
    private readonly output: ProgressOutput,
    private readonly options: { now?: () => number; redrawMs?: number; plainLineMs?: number } = {},
  ) {}

  update(progress: PullProgress): void {
    const now = (this.options.now ?? Date.now)();
    const finished = pullFraction(progress) === 1;
    const interval = this.output.isTTY ? (this.options.redrawMs ?? 100) : (this.options.plainLineMs ?? 5000);
    if (!finished && now - this.lastDrawnAt < interval) return;
    if (finished && this.lastShown && sameProgress(this.lastShown, progress)) return;
    this.lastDrawnAt = now;
    this.lastShown = progress;
    if (this.output.isTTY) {
      // \r and erase-to-end-of-line redraw in place.
      this.output.write(`\r${renderProgressBar(progress, (this.output.columns ?? 80) - 1)}\x1b[K`);
      this.lineOpen = true;
    } else {
      this.output.write(`${renderProgressLine(progress)}\n`);
    }
  }

  /** Ends the redrawn line so what follows starts on a fresh one. */
  finish(): void {
    if (this.lineOpen) this.output.write('\n');
    this.lineOpen = false;
  }
}

function sameProgress(a: PullProgress, b: PullProgress): boolean {
  return (
    a.completedBytes === b.completedBytes && a.layersDone === b.layersDone && a.totalBytes === b.totalBytes
  );
}
