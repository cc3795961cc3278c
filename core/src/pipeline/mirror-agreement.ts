// SHA256SUMS is fetched from *every* source and the copies must be identical. Any one source
// could be compromised; a mirror that disagrees with the primary is either stale or serving
// something else, and we cannot tell which — so it is a hard failure, not a reason to pick one.
// Sources that don't answer are recorded and skipped (a mirror being down is not an attack).

import { rm } from 'node:fs/promises';
import {
  downloadFile,
  SourceUnavailable,
  type DownloadedFile,
  type DownloadOptions,
  type SourceAttempt,
} from './download.js';
import { type SourceUrl } from './download-sources.js';
import { releaseRefused } from './pipeline-error.js';

/**
 * Downloads `what` from every source into `destination` (the reference copy, from the first
 * source that serves it) and checks the others against it. Returns the reference copy.
 */
export async function downloadAgreedFile(
  what: string,
  candidates: SourceUrl[],
  destination: string,
  options: DownloadOptions,
  attempts: SourceAttempt[],
): Promise<DownloadedFile & { source: string }> {
  let reference: (DownloadedFile & { source: string }) | undefined;
  const failures: string[] = [];
  for (const [index, { source, url }] of candidates.entries()) {
    const path = reference ? `${destination}.${index}` : destination;
    let file: DownloadedFile;
    try {
      file = await downloadFile(url, path, options);
    } catch (error) {
      if (!(error instanceof SourceUnavailable)) throw error;
      attempts.push({ source, url, outcome: 'unavailable', detail: error.detail });
      failures.push(`${url}: ${error.detail}`);
      continue;
    }
    attempts.push({ source, url, outcome: 'served' });
    if (!reference) {
      reference = { ...file, source };
      continue;
    }
    await rm(path, { force: true });
    if (file.sha256 !== reference.sha256) {
      const against =
        reference.source === candidates[0]?.source
          ? `primary ${reference.source}`
          : `${reference.source} (the first source that answered; the primary did not)`;
      throw releaseRefused(
        'mirror-check',
        `mirror ${source} serves different ${what} than ${against} ` +
          `(sha256 ${file.sha256} vs ${reference.sha256}); refusing both. Find out which one is wrong, ` +
          'then remove it from sources.',
        { data: { attempts } },
      );
    }
  }
  if (!reference)
    throw releaseRefused(
      'download',
      `no source served ${what}: ${failures.join('; ')}. Check the version and the sources in the config.`,
      { data: { attempts } },
    );
  return reference;
}
