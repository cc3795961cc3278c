// A release file from the first of several sources that serves it (downloadFile per source).

import { downloadFile, type DownloadOptions } from './download.js';
import { SourceUnavailable, type DownloadedFile, type SourceAttempt } from './download-outcomes.js';
import { releaseRefused } from './pipeline-error.js';

/** A file's location on one source. */
export interface SourceUrl {
  source: string;
  url: string;
}

/**
 * Tries each source in order and returns the first file served; unavailable sources are
 * recorded in `attempts` (which the caller owns, so the whole run's tries end up in one list).
 * When none serves it, throws a 'download' error naming every source and why.
 */
export async function downloadFromFirstSource(
  what: string,
  candidates: SourceUrl[],
  destination: string,
  options: DownloadOptions,
  attempts: SourceAttempt[],
): Promise<DownloadedFile> {
  const failures: string[] = [];
  for (const { source, url } of candidates) {
    try {
      const file = await downloadFile(url, destination, options);
      attempts.push({ source, url, outcome: 'served' });
      return file;
    } catch (error) {
      if (!(error instanceof SourceUnavailable)) throw error;
      attempts.push({ source, url, outcome: 'unavailable', detail: error.detail });
      failures.push(`${url}: ${error.detail}`);
    }
  }
  throw releaseRefused(
    'download',
    `no source served ${what}: ${failures.join('; ')}. Check the version and the sources in the config.`,
    { data: { attempts } },
  );
}
