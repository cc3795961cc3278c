import type { ImageProgress } from '@archipelago/core/contract';
import { capitalize, formatBytes, formatDuration, formatRate } from './format';

// How the install dialog and the details page put a node's image work into words: the step it is
// on, what exactly (the daemon's detail), and during a download how far, how fast and how long.

export type ImagePhase = ImageProgress['phase'];

/** Each phase as a person would say it; the daemon's `detail` names the file or key it is on. */
export const PHASE_STEPS: Record<ImagePhase, string> = {
  keys: 'Fetching the builders’ signing keys',
  signatures: 'Checking the builders’ signatures',
  download: 'Downloading the official release',
  verify: 'Verifying the download',
  build: 'Building the image on this node',
  sbom: 'Listing what the image contains (SBOM)',
  ready: 'Image ready; starting the app',
};

export interface ImageProgressView {
  /** The step, in words: "Downloading the official release". */
  step: string;
  /** The daemon's line on what it is doing ("SHA-256 of bitcoin-31.1-….tar.gz"), or the file it fetches. */
  detail: string;
  /** A download with a known size: 0–100. */
  percent?: number;
  /** Bytes so far, and of how many when known: "45.0 MB of 120 MB" / "45.0 MB so far". */
  amount?: string;
  rate?: string;
  /** "2 min 5 s left". */
  eta?: string;
  /** What a screen reader says for the bar: the amount, and the time left when known. */
  valueText?: string;
}

export function describeImageProgress(progress: ImageProgress): ImageProgressView {
  const view: ImageProgressView = {
    step: PHASE_STEPS[progress.phase] ?? capitalize(progress.phase),
    // A file name is shown as written; a sentence of the daemon's gets its capital.
    detail:
      progress.file !== undefined && (progress.detail === progress.file || !progress.detail)
        ? progress.file
        : capitalize(progress.detail),
  };
  if (progress.phase !== 'download' || progress.bytes === undefined) return view;
  const total = progress.total !== undefined && progress.total > 0 ? progress.total : undefined;
  if (total !== undefined) {
    view.percent = Math.max(0, Math.min(100, Math.floor((progress.bytes / total) * 100)));
    view.amount = `${formatBytes(progress.bytes)} of ${formatBytes(total)}`;
  } else {
    view.amount = `${formatBytes(progress.bytes)} so far`;
  }
  if (progress.rateBytesPerSecond !== undefined && progress.rateBytesPerSecond > 0) {
    view.rate = formatRate(progress.rateBytesPerSecond);
  }
  // Without a size the daemon cannot know the time left; a done download has none.
  if (progress.etaSeconds !== undefined && total !== undefined && progress.bytes < total) {
    view.eta = `${formatDuration(progress.etaSeconds)} left`;
  }
  view.valueText = [view.amount, view.eta].filter(Boolean).join(', ');
  return view;
}
