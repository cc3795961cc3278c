// One official release, downloaded and verified, ready for the image build:
//
//   1. SHA256SUMS from every source; all that answer must agree (mirror-agreement.ts)
//   2. SHA256SUMS.asc from the first source that has it
//   3. a threshold of good signatures from pinned builders over SHA256SUMS
//   4. the tarball, streamed and hashed, from the first source that has it
//   5. its hash against SHA256SUMS
//
// Signatures are checked before the tarball is fetched, so a release that can never pass costs
// no 200 MB download. Every failure throws, and the working folder is removed with everything
// in it: nothing unverified is ever left for a later step to pick up.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builderCount, loadPinnedKeys } from './builder-keys.js';
import { Agent } from '../util/http-client.js';
import { type DownloadOptions, type SourceAttempt } from './download.js';
import { downloadFromFirstSource } from './download-sources.js';
import { downloadAgreedFile } from './mirror-agreement.js';
import type { PipelineConfig } from './pipeline-config.js';
import { releaseRefused } from './pipeline-error.js';
import { parseReleaseVersion, releaseUrls, type Implementation } from './release-layout.js';
import { checkSha256, expectedSha256, parseSha256Sums } from './sha256sums.js';
import {
  checkSignatureThreshold,
  requireSignatureThreshold,
  type SignatureReport,
} from './signature-threshold.js';

/** Size caps: the text files are a few KiB upstream; tarballs are ~50–200 MB today. */
export const DEFAULT_LIMITS = {
  sha256sumsBytes: 1024 * 1024,
  signaturesBytes: 4 * 1024 * 1024,
  tarballBytes: 1024 * 1024 * 1024,
} as const;

export interface VerifyReleaseOptions {
  implementation: Implementation;
  version: string;
  config: PipelineConfig;
  /** Where the working folder is created; the OS temp folder by default. */
  workRoot?: string;
  limits?: Partial<typeof DEFAULT_LIMITS>;
  headersTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** A connection pool to use; by default one is made and closed after. */
  agent?: Agent;
  signal?: AbortSignal;
  /** Key validity is judged at this time; now by default. */
  now?: Date;
  /** Receives the time spent downloading (all files, all sources), for the pipeline's step report. */
  stopwatch?: { downloadMs: number };
}

export interface ReleaseReport {
  signatures: SignatureReport;
  /** Every try at every source, in order, including the ones that were down. */
  downloads: SourceAttempt[];
  /** The source whose SHA256SUMS every other answering source matched. */
  sha256sumsSource: string;
}

export interface VerifiedRelease {
  implementation: Implementation;
  version: string;
  /** The verified tarball, inside `workDir`. */
  tarballPath: string;
  tarballName: string;
  /** Lowercase hex SHA-256 of the tarball, as SHA256SUMS lists it. */
  sha256: string;
  /** Where the tarball came from. */
  sourceUrl: string;
  /** The caller owns this folder and removes it when done (see `disposeVerifiedRelease`). */
  workDir: string;
  report: ReleaseReport;
}

/** Downloads and verifies a release; throws a pipeline error saying what failed, leaving no files behind. */
export async function verifyRelease(options: VerifyReleaseOptions): Promise<VerifiedRelease> {
  const { config } = options;
  const release = parseReleaseVersion(options.implementation, options.version);
  const pinnedKeys = await loadPinnedKeys(config.builderKeys);
  const builders = builderCount(pinnedKeys);
  if (builders < config.threshold)
    throw releaseRefused(
      'config',
      `threshold is ${config.threshold} but ${config.builderKeys} pins only ${builders} builder` +
        `${builders === 1 ? '' : 's'} (key files), so no release could ever pass; add builders or lower the threshold.`,
    );

  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const layouts = config.sources.map((source) => ({
    source,
    urls: releaseUrls(source, release, config.arch),
  }));
  const tarballName = layouts[0]!.urls.tarballName;
  const agent = options.agent ?? new Agent();
  const download = (maxBytes: number): DownloadOptions => ({
    maxBytes,
    agent,
    // The working folder goes when this fails, so a partial download is no use to keep.
    keepPartial: false,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.headersTimeoutMs ? { headersTimeoutMs: options.headersTimeoutMs } : {}),
    ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
  });

  // Downloads are timed apart from the checks, so the report can say where the time went.
  const timed = async <T>(work: Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work;
    } finally {
      if (options.stopwatch) options.stopwatch.downloadMs += performance.now() - started;
    }
  };

  const workDir = await mkdtemp(join(options.workRoot ?? tmpdir(), `archy-release-${release.version}-`));
  const downloads: SourceAttempt[] = [];
  try {
    const sums = await timed(
      downloadAgreedFile(
        'SHA256SUMS',
        layouts.map(({ source, urls }) => ({ source, url: urls.sha256sums })),
        join(workDir, 'SHA256SUMS'),
        download(limits.sha256sumsBytes),
        downloads,
      ),
    );
    // The agreed source first: its .asc belongs with the SHA256SUMS we hold.
    const ascCandidates = [...layouts]
      .sort((a, b) => Number(b.source === sums.source) - Number(a.source === sums.source))
      .map(({ source, urls }) => ({ source, url: urls.signatures }));
    const asc = await timed(
      downloadFromFirstSource(
        'SHA256SUMS.asc',
        ascCandidates,
        join(workDir, 'SHA256SUMS.asc'),
        download(limits.signaturesBytes),
        downloads,
      ),
    );

    const sumsBytes = await readFile(sums.path);
    const signatures = await checkSignatureThreshold({
      signedData: sumsBytes,
      armoredSignatures: await readFile(asc.path, 'utf8'),
      pinnedKeys,
      threshold: config.threshold,
      ...(options.now ? { now: options.now } : {}),
    });
    requireSignatureThreshold(signatures);

    const listed = parseSha256Sums(sumsBytes.toString('utf8'));
    expectedSha256(listed, tarballName); // before downloading: an unlisted file can never pass
    const tarball = await timed(
      downloadFromFirstSource(
        tarballName,
        layouts.map(({ source, urls }) => ({ source, url: urls.tarball })),
        join(workDir, tarballName),
        download(limits.tarballBytes),
        downloads,
      ),
    );
    checkSha256(listed, tarballName, tarball.sha256);

    return {
      implementation: release.implementation,
      version: release.version,
      tarballPath: tarball.path,
      tarballName,
      sha256: tarball.sha256,
      sourceUrl: tarball.url,
      workDir,
      report: { signatures, downloads, sha256sumsSource: sums.source },
    };
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  } finally {
    if (!options.agent) await agent.close();
  }
}

/** Removes a verified release's working folder once the image is built. */
export async function disposeVerifiedRelease(release: Pick<VerifiedRelease, 'workDir'>): Promise<void> {
  await rm(release.workDir, { recursive: true, force: true });
}
