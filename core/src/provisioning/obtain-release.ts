// One official Bitcoin Core / Knots release, verified on this node, from wherever it can be had:
//
//   kept      DATA_DIR/releases/…: re-hashed and its signatures re-checked, never downloaded again
//   brought   `--from FILE|DIR`: a tarball with SHA256SUMS and SHA256SUMS.asc beside it (a USB
//             stick), optionally with the builders' key files; verified exactly like a download
//   download  from the catalog's sources in order: SHA256SUMS and its signatures first (cheap, and
//             a release that can never pass costs no 200 MB download), then the tarball, resumed
//             where an earlier attempt stopped, with progress
//
// Verified means all of: a threshold of good signatures over SHA256SUMS from distinct builders the
// signed catalog pins (keys fetched and accepted only by fingerprint); SHA256SUMS listing the
// official file name with the SHA-256 the signed catalog names; the tarball hashing to it. Every
// refusal says which check failed and what to do, and leaves nothing unverified behind.
//
// One file (about 450 lines) on purpose: the three ways in end in the same verification, and the
// order of the checks (signatures before the tarball, kept before brought before downloaded) is
// the security argument; it is easier to check when it reads top to bottom in one place.

import { readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ArchyError, RpcErrorCode, type ReleaseRefusalData } from '../kernel/index.js';
import type { OfficialRelease, ReleaseFile } from '../catalog/index.js';
import {
  checkSignatureThreshold,
  downloadFromFirstSource,
  expectedSha256,
  parseReleaseVersion,
  parseSha256Sums,
  releaseUrls,
  sha256OfFile,
  signatureFailure,
  type SignatureReport,
  type SourceAttempt,
} from '../pipeline/index.js';
import { BuilderKeyStore, keyFilesIn, type MissingBuilderKey } from './builder-key-store.js';
import { ReleaseCache, SIGNATURES_FILE, SUMS_FILE, type CachedRelease } from './release-cache.js';
import type { ProvisionProgress } from './progress.js';

/** Size caps: SHA256SUMS and its signatures are a few KiB upstream; tarballs ~50–200 MB. */
const LIMITS = { sums: 1024 * 1024, signatures: 4 * 1024 * 1024, tarball: 1024 * 1024 * 1024 };

export interface ObtainReleaseRequest {
  /** For messages: "Bitcoin Core 31.1". */
  title: string;
  /** For the way out a refusal names: `archy install <appId> --version <version> --from …`. */
  appId?: string;
  version: string;
  release: OfficialRelease;
  /** This node's CPU as a target triplet (x86_64-linux-gnu, aarch64-linux-gnu). */
  arch: string;
  /** A release the user brought: the tarball, or a folder holding it. */
  from?: string;
  cache: ReleaseCache;
  onProgress?: (progress: ProvisionProgress) => void;
  signal?: AbortSignal;
  now?: Date;
}

export interface ObtainedRelease {
  tarballPath: string;
  tarballName: string;
  sha256: string;
  /** Where the tarball came from (a URL, or file://… for one the user brought). */
  source: string;
  /** How this call got it. */
  via: 'kept' | 'brought' | 'download';
  signatures: SignatureReport;
  downloads: SourceAttempt[];
  /** Binaries taken out of this release before, checked against the hashes recorded then. */
  binaries?: Record<'bitcoind' | 'bitcoin-cli', { path: string; member: string }>;
  /** Where the release is kept, so its binaries can be kept beside it after a first build. */
  kept?: CachedRelease;
  /** For a download: the file's bytes (a resumed one counts the part kept from before) and how long this call took. */
  transfer?: { bytes: number; ms: number };
}

const refused = (message: string, data: ReleaseRefusalData = {}, cause?: unknown): ArchyError =>
  new ArchyError(RpcErrorCode.ImageUnavailable, message, { cause, data });

/** The official file for this node's CPU, or a refusal naming the CPUs the catalog offers. */
export function releaseFileFor(
  request: Pick<ObtainReleaseRequest, 'title' | 'release' | 'arch'>,
): ReleaseFile {
  const file = request.release.files[request.arch];
  if (!file)
    throw refused(
      `${request.title} has no official build for this node's CPU (${request.arch}) in the catalog; it offers ` +
        `${Object.keys(request.release.files).join(', ')}`,
    );
  return file;
}

export async function obtainRelease(request: ObtainReleaseRequest): Promise<ObtainedRelease> {
  const file = releaseFileFor(request);
  parseReleaseVersion(request.release.implementation, request.version); // its shape goes into URLs
  const keys = new BuilderKeyStore(request.cache.keysDir);

  if (request.from === undefined) {
    const kept = await request.cache.find(request.release.implementation, request.version, request.arch);
    if (kept) {
      const checked = await recheckKept(request, file, kept, keys);
      if (checked) return checked;
    }
    return download(request, file, keys);
  }
  return bring(request, file, keys);
}

/** A kept release, checked again (hash and signatures: a few hundred ms); undefined when it no longer holds. */
async function recheckKept(
  request: ObtainReleaseRequest,
  file: ReleaseFile,
  kept: CachedRelease,
  keys: BuilderKeyStore,
): Promise<ObtainedRelease | undefined> {
  request.onProgress?.({ phase: 'verify', detail: `checking the kept ${file.name}` });
  try {
    const signatures = await verifySums(request, file, keys, kept.sumsPath, kept.signaturesPath, []);
    if (kept.record.sha256 !== file.sha256)
      throw refused(`the kept ${file.name} is not the one the catalog names (${file.sha256})`);
    // The binaries taken out of it at its first build, when they are still what they were then:
    // what goes into the image is checked without decompressing the tarball again.
    const binaries = await checkedBinaries(request, kept);
    if (!binaries && (await sha256OfFile(kept.tarballPath)) !== file.sha256)
      throw refused(`the kept ${file.name} no longer hashes to ${file.sha256}`);
    return {
      tarballPath: kept.tarballPath,
      tarballName: file.name,
      sha256: file.sha256,
      source: kept.record.source,
      via: 'kept',
      signatures,
      downloads: [],
      kept,
      ...(binaries && { binaries }),
    };
  } catch (error) {
    // Cancelled mid-check (fetching a key): the release is not damaged, so it stays kept.
    if (request.signal?.aborted) throw error;
    // Damaged or no longer trusted: forget it and fetch the release again (the reason is shown).
    request.onProgress?.({
      phase: 'verify',
      detail: `the kept ${file.name} no longer verifies (${(error as Error).message}); fetching it again`,
    });
    await request.cache.discard(request.release.implementation, request.version, request.arch);
    return undefined;
  }
}

/** The kept binaries, if all are there and hash as recorded; undefined otherwise (rebuilt from the tarball). */
async function checkedBinaries(
  request: ObtainReleaseRequest,
  kept: CachedRelease,
): Promise<ObtainedRelease['binaries']> {
  const recorded = kept.record.binaries;
  if (!recorded) return undefined;
  const found: Partial<NonNullable<ObtainedRelease['binaries']>> = {};
  for (const name of ['bitcoind', 'bitcoin-cli'] as const) {
    const entry = recorded[name];
    const path = request.cache.binaryPath(kept, name);
    if (!entry || (await sha256OfFile(path).catch(() => '')) !== entry.sha256) return undefined;
    found[name] = { path, member: entry.member };
  }
  return found as NonNullable<ObtainedRelease['binaries']>;
}

async function download(
  request: ObtainReleaseRequest,
  file: ReleaseFile,
  keys: BuilderKeyStore,
): Promise<ObtainedRelease> {
  const { release } = request;
  const version = parseReleaseVersion(release.implementation, request.version);
  const layouts = release.sources.map((source) => ({
    source,
    urls: releaseUrls(source, version, request.arch),
  }));
  const attempts: SourceAttempt[] = [];
  await request.cache.ensurePartialDir();
  const scratch = request.cache.partialDownload(file.sha256);
  const sumsPath = `${scratch}.SHA256SUMS`;
  const signaturesPath = `${scratch}.SHA256SUMS.asc`;
  await rm(sumsPath, { force: true });
  await rm(signaturesPath, { force: true });
  const common = { ...(request.signal && { signal: request.signal }) };
  try {
    request.onProgress?.({ phase: 'download', detail: 'SHA256SUMS and its signatures' });
    const sums = await fetchFirst(
      request,
      'SHA256SUMS',
      layouts.map((l) => ({ source: l.source, url: l.urls.sha256sums })),
      sumsPath,
      { maxBytes: LIMITS.sums, resume: false, ...common },
      attempts,
    );
    // The .asc from the source that served SHA256SUMS first: they belong together.
    const sumsSource = layouts.find((l) => l.urls.sha256sums === sums.url)?.source;
    const ascCandidates = [...layouts]
      .sort((a, b) => Number(b.source === sumsSource) - Number(a.source === sumsSource))
      .map((l) => ({ source: l.source, url: l.urls.signatures }));
    await fetchFirst(
      request,
      'SHA256SUMS.asc',
      ascCandidates,
      signaturesPath,
      { maxBytes: LIMITS.signatures, resume: false, ...common },
      attempts,
    );
    const signatures = await verifySums(request, file, keys, sumsPath, signaturesPath, attempts);

    request.onProgress?.({ phase: 'download', detail: file.name, file: file.name, bytes: 0 });
    const started = performance.now();
    let fetchedBytes = 0;
    const tarball = await fetchFirst(
      request,
      file.name,
      layouts.map((l) => ({ source: l.source, url: l.urls.tarball })),
      scratch,
      {
        maxBytes: LIMITS.tarball,
        resume: true,
        onProgress: (p) => {
          fetchedBytes = p.bytes;
          request.onProgress?.({
            phase: 'download',
            detail: file.name,
            file: file.name,
            bytes: p.bytes,
            ...(p.total !== undefined && { total: p.total }),
            rateBytesPerSecond: p.rateBytesPerSecond,
            ...(p.etaSeconds !== undefined && { etaSeconds: p.etaSeconds }),
          });
        },
        ...common,
      },
      attempts,
    );
    const transfer = { bytes: fetchedBytes, ms: Math.round(performance.now() - started) };
    request.onProgress?.({ phase: 'verify', detail: `SHA-256 of ${file.name}` });
    if (tarball.sha256 !== file.sha256) {
      await rm(scratch, { force: true });
      throw refused(
        `${file.name} from ${tarball.url} has SHA-256 ${tarball.sha256}, but the signed catalog and the signed ` +
          `SHA256SUMS say ${file.sha256}: the download is corrupt or was tampered with. Nothing was built or kept.`,
        { check: 'checksum', expected: file.sha256, actual: tarball.sha256, attempts },
      );
    }
    const kept = await request.cache.keep(
      { tarball: scratch, sums: sumsPath, signatures: signaturesPath, move: true },
      record(request, file, tarball.url, signatures),
    );
    return {
      tarballPath: kept.tarballPath,
      tarballName: file.name,
      sha256: file.sha256,
      source: tarball.url,
      via: 'download',
      signatures,
      downloads: attempts,
      transfer,
      kept,
    };
  } finally {
    await rm(sumsPath, { force: true });
    await rm(signaturesPath, { force: true });
  }
}

/** A release the user brought: the same checks, then kept like a download. */
async function bring(
  request: ObtainReleaseRequest,
  file: ReleaseFile,
  keys: BuilderKeyStore,
): Promise<ObtainedRelease> {
  const from = request.from!;
  let info;
  try {
    info = await stat(from);
  } catch (error) {
    throw refused(
      `cannot read ${from} (${(error as NodeJS.ErrnoException).code ?? 'error'}); give the release tarball or the ` +
        'folder holding it, SHA256SUMS and SHA256SUMS.asc, readable by the user the daemon runs as',
      {},
      error,
    );
  }
  const dir = info.isDirectory() ? from : dirname(from);
  const tarballPath = info.isDirectory() ? join(from, file.name) : from;
  const sumsPath = join(dir, SUMS_FILE);
  const signaturesPath = join(dir, SIGNATURES_FILE);
  for (const [path, what] of [
    [tarballPath, `the release tarball ${file.name}`],
    [sumsPath, 'SHA256SUMS'],
    [signaturesPath, 'SHA256SUMS.asc'],
  ] as const) {
    if (
      !(await stat(path)
        .then((s) => s.isFile())
        .catch(() => false))
    )
      throw refused(
        `${from} lacks ${what} (looked for ${path}); an offline install needs the tarball with SHA256SUMS and ` +
          `SHA256SUMS.asc from the same release folder (${request.release.sources[0] ?? 'the official site'})`,
      );
  }
  const signatures = await verifySums(
    request,
    file,
    keys,
    sumsPath,
    signaturesPath,
    [],
    await keyFilesIn(dir),
  );
  request.onProgress?.({ phase: 'verify', detail: `SHA-256 of ${basename(tarballPath)}` });
  const sha256 = await sha256OfFile(tarballPath);
  if (sha256 !== file.sha256)
    throw refused(
      `${tarballPath} has SHA-256 ${sha256}, but the signed catalog and the signed SHA256SUMS say ${file.sha256} for ` +
        `${file.name}: it is another file, corrupt, or tampered with. Nothing was built or kept.`,
      { check: 'checksum', expected: file.sha256, actual: sha256 },
    );
  const source = `file://${tarballPath}`;
  const kept = await request.cache.keep(
    { tarball: tarballPath, sums: sumsPath, signatures: signaturesPath },
    record(request, file, source, signatures),
  );
  return {
    tarballPath: kept.tarballPath,
    tarballName: file.name,
    sha256,
    source,
    via: 'brought',
    signatures,
    downloads: [],
    kept,
  };
}

/**
 * The threshold of pinned builders' signatures over SHA256SUMS, and SHA256SUMS naming the catalog's
 * hash for the file. Throws a refusal that names every builder and why it did or didn't count.
 */
async function verifySums(
  request: ObtainReleaseRequest,
  file: ReleaseFile,
  keys: BuilderKeyStore,
  sumsPath: string,
  signaturesPath: string,
  attempts: SourceAttempt[],
  keyFiles: readonly string[] = [],
): Promise<SignatureReport> {
  request.onProgress?.({
    phase: 'keys',
    detail: `keys of ${request.release.builders.length} pinned builders`,
  });
  const pinned = await keys.pinnedKeys({
    release: request.release,
    keyFiles,
    ...(request.signal && { signal: request.signal }),
    ...(request.now && { now: request.now }),
  });
  request.onProgress?.({ phase: 'signatures', detail: 'checking the builders’ signatures over SHA256SUMS' });
  const sumsBytes = await readFile(sumsPath);
  const report = await checkSignatureThreshold({
    signedData: sumsBytes,
    armoredSignatures: await readFile(signaturesPath, 'utf8'),
    pinnedKeys: pinned.keys,
    threshold: request.release.threshold,
    ...(request.now && { now: request.now }),
  });
  const failure = signatureFailure(report);
  if (failure)
    throw refused(
      `${request.title} is refused: ${failure}${describeSigners(report)}${describeMissing(pinned.missing)}. ` +
        'Nothing was downloaded further or built.',
      { check: 'signatures', signatures: report, missingKeys: pinned.missing, attempts },
    );
  const listed = expectedSha256(parseSha256Sums(sumsBytes.toString('utf8')), file.name);
  if (listed !== file.sha256)
    throw refused(
      `the signed SHA256SUMS lists ${listed} for ${file.name}, but the signed catalog says ${file.sha256}; ` +
        'one of them is wrong, so nothing is trusted. Refresh the catalog (archy catalog) or report it.',
      { check: 'checksum', expected: file.sha256, listed, attempts },
    );
  return report;
}

/** Who did sign, and who signed without counting, so a refusal can be checked against the release. */
function describeSigners(report: SignatureReport): string {
  const names = (signers: readonly { userId: string }[]) =>
    signers.map((s) => s.userId.replace(/ <.*>$/, ''));
  const parts = [
    `signed by ${names(report.good).join(', ') || 'no pinned builder'}`,
    ...(report.expired.length ? [`expired: ${names(report.expired).join(', ')}`] : []),
    ...(report.revoked.length ? [`revoked: ${names(report.revoked).join(', ')}`] : []),
    ...(report.unknown.length ? [`not pinned: ${report.unknown.join(', ')}`] : []),
  ];
  return ` (${parts.join('; ')})`;
}

function describeMissing(missing: readonly MissingBuilderKey[]): string {
  if (missing.length === 0) return '';
  return ` (no key for ${missing.map((m) => `${m.builder.name} ${m.builder.fingerprint}: ${m.reason}`).join('; ')})`;
}

/** Downloads from the first source that serves it; when none does, says what each answered. */
async function fetchFirst(
  request: ObtainReleaseRequest,
  what: string,
  candidates: { source: string; url: string }[],
  destination: string,
  options: Parameters<typeof downloadFromFirstSource>[3],
  attempts: SourceAttempt[],
) {
  try {
    return await downloadFromFirstSource(what, candidates, destination, options, attempts);
  } catch (error) {
    if (request.signal?.aborted) throw error;
    // Said in the node's words: which source answered what (the pipeline's hint is about its config).
    const tried = attempts.filter(
      (a) => a.outcome === 'unavailable' && candidates.some((c) => c.url === a.url),
    );
    const message =
      tried.length === candidates.length
        ? `no source served ${what}: ${tried.map((a) => `${a.url}: ${a.detail ?? 'unavailable'}`).join('; ')}`
        : (error instanceof Error ? error.message : String(error)).replace(/\.+$/, '');
    const command = `archy install ${request.appId ?? '<app>'} --version ${request.version}`;
    throw refused(
      `could not get ${request.title}: ${message}. Check this node's internet connection, or install from a ` +
        `release you brought: ${command} --from <folder with the tarball, SHA256SUMS and SHA256SUMS.asc>`,
      { check: 'download', attempts },
      error,
    );
  }
}

function record(
  request: ObtainReleaseRequest,
  file: ReleaseFile,
  source: string,
  signatures: SignatureReport,
) {
  return {
    implementation: request.release.implementation,
    version: request.version,
    arch: request.arch,
    tarball: file.name,
    sha256: file.sha256,
    source,
    signers: signatures.good.map((signer) => signer.fingerprint),
    verifiedAt: (request.now ?? new Date()).toISOString(),
  };
}
