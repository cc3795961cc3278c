// A download's progress, reported on a clock rather than per chunk, with the rate over a window.

import type { DownloadProgress } from './download-outcomes.js';

/** Reports progress on a clock (not per chunk), with the rate over a sliding window. */
export class ProgressClock {
  private readonly samples: { at: number; bytes: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly url: string,
    private readonly onProgress: ((progress: DownloadProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {}

  /** Ticks while a body streams; `read` says where it stands. */
  run(read: () => { bytes: number; total: number | undefined }): void {
    if (!this.onProgress) return;
    this.stop();
    this.timer = setInterval(() => this.report(read()), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The last report: the whole file, at the average rate of this call. */
  finish(bytes: number, receivedThisCall: number): void {
    this.stop();
    const seconds = (performance.now() - this.started) / 1000;
    this.onProgress?.({
      url: this.url,
      bytes,
      total: bytes,
      rateBytesPerSecond: seconds > 0 ? Math.round(receivedThisCall / seconds) : 0,
      etaSeconds: 0,
    });
  }

  private report({ bytes, total }: { bytes: number; total: number | undefined }): void {
    const at = performance.now();
    const last = this.samples.at(-1);
    if (last && bytes < last.bytes) this.samples.length = 0; // started over from zero
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[0]!.at > 5000) this.samples.shift();
    const first = this.samples[0]!;
    const rate = at > first.at ? ((bytes - first.bytes) * 1000) / (at - first.at) : 0;
    this.onProgress!({
      url: this.url,
      bytes,
      ...(total !== undefined ? { total } : {}),
      rateBytesPerSecond: Math.round(rate),
      ...(total !== undefined && rate > 0 ? { etaSeconds: Math.ceil((total - bytes) / rate) } : {}),
    });
  }
}
