import type { ImageProgress } from '../api/contract.js';
import { formatBytes } from './format.js';
import type { ProgressOutput } from './progress-bar.js';

/** `1:05` / `1:02:03`: an ETA a person reads at a glance. */
export function formatEta(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * One line for a download: `downloading FILE  [#####-----]  45%  22.1 MB/48.9 MB  3.2 MB/s  ETA 0:09`,
 * at most `columns` wide; the rest of the phases are their own words.
 */
export function renderImageProgress(progress: ImageProgress, columns: number): string {
  if (progress.phase !== 'download' || progress.bytes === undefined)
    return `${progress.phase}: ${progress.detail}`.slice(0, columns);
  const fraction = progress.total ? Math.min(1, progress.bytes / progress.total) : undefined;
  const amount = progress.total
    ? `${formatBytes(progress.bytes)}/${formatBytes(progress.total)}`
    : formatBytes(progress.bytes);
  const rate = progress.rateBytesPerSecond ? `  ${formatBytes(progress.rateBytesPerSecond)}/s` : '';
  const eta = progress.etaSeconds !== undefined ? `  ETA ${formatEta(progress.etaSeconds)}` : '';
  const pct = fraction === undefined ? '' : `  ${Math.floor(fraction * 100)}%`.padStart(6);
  const tail = `${pct}  ${amount}${rate}${eta}`;
  const barWidth = Math.max(10, Math.min(30, Math.floor(columns / 5)));
  const filled = fraction === undefined ? 0 : Math.round(fraction * barWidth);
  const bar = fraction === undefined ? '' : `  [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const room = columns - 'downloading '.length - bar.length - tail.length;
  const file = progress.file ?? progress.detail;
  const name = file.length <= room ? file : `…${file.slice(-(Math.max(room, 2) - 1))}`;
  return `downloading ${name}${bar}${tail}`.slice(0, columns);
}

/**
 * Shows a node's image work (keys, signatures, download, verify, build, SBOM) on stderr: on a
 * terminal the download redraws one line and every other step gets a line of its own; elsewhere
 * (pipes, CI logs) steps print as lines and the download every few seconds.
 */
export class ImageProgressView {
  private lastDrawnAt = Number.NEGATIVE_INFINITY;
  private lineOpen = false;
  private lastText = '';

  constructor(
    private readonly output: ProgressOutput,
    private readonly options: { now?: () => number; redrawMs?: number; plainLineMs?: number } = {},
  ) {}

  update(progress: ImageProgress): void {
    // "Ready" is for screens that keep showing the image step; here the install's result says it.
    if (progress.phase === 'ready') return;
    const now = (this.options.now ?? Date.now)();
    // A terminal line is cut to its width; a log or pipe gets the whole line.
    const columns = this.output.isTTY ? (this.output.columns ?? 100) - 1 : 1000;
    const text = renderImageProgress(progress, columns);
    if (progress.phase !== 'download' || progress.bytes === undefined) {
      if (text === this.lastText) return;
      this.finish();
      this.output.write(`${text}\n`);
      this.lastText = text;
      return;
    }
    const done = progress.total !== undefined && progress.bytes >= progress.total;
    const interval = this.output.isTTY ? (this.options.redrawMs ?? 100) : (this.options.plainLineMs ?? 5000);
    if (!done && now - this.lastDrawnAt < interval) return;
    this.lastDrawnAt = now;
    this.lastText = text;
    if (this.output.isTTY) {
      this.output.write(`\r${text}\x1b[K`);
      this.lineOpen = true;
    } else {
      this.output.write(`${text}\n`);
    }
  }

  /** Ends a redrawn line so what follows starts on a fresh one. */
  finish(): void {
    if (this.lineOpen) this.output.write('\n');
    this.lineOpen = false;
  }
}
