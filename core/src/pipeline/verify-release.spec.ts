// verifyRelease end to end over loopback HTTP: a primary and a mirror (two servers), keys made
// here, and every refusal the pipeline must make. Each failing case also checks the working
// folder is gone.

import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PipelineConfig } from './pipeline-config.js';
import { refusedStep, type PipelineStep } from './pipeline-error.js';
import {
  closedPortUrl,
  makeBuilders,
  makeRelease,
  pinnedNames,
  sha256Hex,
  signatureFile,
  startFileServer,
  tamperBlock,
  tempFolder,
  writeBuilderKeys,
  type BuilderKey,
  type BuilderSet,
  type FakeRelease,
  type FileServer,
} from './spec-release-fixture.js';
import { disposeVerifiedRelease, verifyRelease } from './verify-release.js';

const VERSION = '28.1';
const FOLDER = `/bin/bitcoin-core-${VERSION}/`;

let builders: BuilderSet;
let root: string;
let keysDir: string;
let primary: FileServer;
let mirror: FileServer;
let workRoot: string;
let release: FakeRelease;
let goodAsc: string;

beforeAll(async () => {
  builders = await makeBuilders();
  root = await tempFolder('verify');
  keysDir = await writeBuilderKeys(
    join(root, 'keys'),
    pinnedNames.map((name) => builders[name]),
  );
  release = makeRelease(VERSION);
  goodAsc = await signatureFile(release.sha256sums, [builders.alice, builders.bob, builders.carol]);
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Serves a complete, correctly signed release at upstream's Core layout under `/bin/`. */
function serveRelease(
  server: FileServer,
  files: Partial<Record<'tarball' | 'sums' | 'asc', unknown>> = {},
): void {
  const put = (name: string, value: unknown, fallback: Buffer | string) => {
    if (value === null) return;
    server.routes.set(FOLDER + name, (value ?? fallback) as Buffer);
  };
  put(release.tarballName, files.tarball, release.tarball);
  put('SHA256SUMS', files.sums, release.sha256sums);
  put('SHA256SUMS.asc', files.asc, goodAsc);
}

beforeEach(async () => {
  primary = await startFileServer();
  mirror = await startFileServer();
  workRoot = await tempFolder('work');
});
afterEach(async () => {
  await Promise.all([primary.close(), mirror.close()]);
  await rm(workRoot, { recursive: true, force: true });
});

const config = (sources: string[], fields: Partial<PipelineConfig> = {}): PipelineConfig => ({
  sources: sources.map((source) => `${source}bin/`),
  builderKeys: keysDir,
  threshold: 3,
  registry: '127.0.0.1:5000/archipelago',
  arch: 'x86_64-linux-gnu',
  ...fields,
});

const verify = (sources: string[], fields: Partial<PipelineConfig> = {}, version = VERSION) =>
  verifyRelease({ implementation: 'core', version, config: config(sources, fields), workRoot });

/** Expects a refusal from `step` whose message matches, and no files left behind. */
async function expectRefused(promise: Promise<unknown>, step: PipelineStep, message: RegExp): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught as Error,
  );
  expect(error, 'verifyRelease should have failed').toBeInstanceOf(Error);
  expect(error!.message).toMatch(message);
  expect(refusedStep(error)).toBe(step);
  expect(await readdir(workRoot)).toEqual([]);
  return error!;
}

async function ascBy(signers: BuilderKey[]): Promise<string> {
  return signatureFile(release.sha256sums, signers);
}

describe('verifyRelease', () => {
  it('downloads and verifies a release signed by three pinned builders', async () => {
    serveRelease(primary);
    serveRelease(mirror);
    const verified = await verify([primary.url, mirror.url]);
    expect(verified.sha256).toBe(sha256Hex(release.tarball));
    expect(verified.sourceUrl).toBe(
      `${primary.url}bin/bitcoin-core-28.1/bitcoin-28.1-x86_64-linux-gnu.tar.gz`,
    );
    expect(await readFile(verified.tarballPath)).toEqual(release.tarball);
    expect(verified.report.signatures.ok).toBe(true);
    expect(verified.report.signatures.good).toHaveLength(3);
    // SHA256SUMS came from both; the tarball only from the primary.
    expect(verified.report.downloads.map((d) => [d.source, d.url.split('/').pop(), d.outcome])).toEqual([
      [`${primary.url}bin/`, 'SHA256SUMS', 'served'],
      [`${mirror.url}bin/`, 'SHA256SUMS', 'served'],
      [`${primary.url}bin/`, 'SHA256SUMS.asc', 'served'],
      [`${primary.url}bin/`, release.tarballName, 'served'],
    ]);
    expect(mirror.requests).not.toContain(FOLDER + release.tarballName);
    await disposeVerifiedRelease(verified);
    expect(await readdir(workRoot)).toEqual([]);
  });

  it('verifies a Knots release at <major>.x/<version>/', async () => {
    const knots = '29.3.knots20260508';
    const knotsRelease = makeRelease(knots);
    const folder = `/bin/29.x/${knots}/`;
    primary.routes.set(folder + knotsRelease.tarballName, knotsRelease.tarball);
    primary.routes.set(folder + 'SHA256SUMS', knotsRelease.sha256sums);
    primary.routes.set(
      folder + 'SHA256SUMS.asc',
      await signatureFile(knotsRelease.sha256sums, [builders.alice, builders.bob, builders.dave]),
    );
    const verified = await verifyRelease({
      implementation: 'knots',
      version: knots,
      config: config([primary.url]),
      workRoot,
    });
    expect(verified.sha256).toBe(sha256Hex(knotsRelease.tarball));
    expect(verified.tarballName).toBe('bitcoin-29.3.knots20260508-x86_64-linux-gnu.tar.gz');
    await disposeVerifiedRelease(verified);
  });

  it('refuses too few good signatures, naming who signed, before downloading the tarball', async () => {
    serveRelease(primary, { asc: await ascBy([builders.alice, builders.bob]) });
    const error = await expectRefused(
      verify([primary.url]),
      'signatures',
      /only 2 good signatures from distinct pinned builders on SHA256SUMS, 3 needed \(good: alice <alice@builders.test>, bob/,
    );
    expect((error as { data?: { report?: { good: unknown[] } } }).data?.report?.good).toHaveLength(2);
    expect(primary.requests).not.toContain(FOLDER + release.tarballName);
  });

  it('does not count unknown, expired or revoked keys', async () => {
    serveRelease(primary, {
      asc: await ascBy([builders.alice, builders.bob, builders.mallory, builders.erin, builders.frank]),
    });
    await expectRefused(
      verify([primary.url]),
      'signatures',
      /only 2 good .*expired: erin <erin@builders.test>; revoked: frank <frank@builders.test>; unknown: [0-9A-F]+\)/,
    );
  });

  it('counts a builder who signed twice once', async () => {
    serveRelease(primary, { asc: await ascBy([builders.alice, builders.alice, builders.bob]) });
    await expectRefused(verify([primary.url]), 'signatures', /only 2 good/);
  });

  it('counts a subkey signature for its primary key', async () => {
    serveRelease(primary, { asc: await ascBy([builders.alice, builders.bob, builders.dave]) });
    const verified = await verify([primary.url]);
    expect(verified.report.signatures.good.map((g) => g.fingerprint)).toContain(builders.dave.fingerprint);
  });

  it('refuses a tampered .asc', async () => {
    const asc = await ascBy([builders.alice, builders.bob, builders.carol, builders.dave]);
    serveRelease(primary, { asc: tamperBlock(asc, 2) });
    await expectRefused(verify([primary.url]), 'signatures', /1 bad signature \(block 3.*altered/);
  });

  it('refuses a tarball whose hash differs from SHA256SUMS', async () => {
    const tampered = Buffer.from(release.tarball);
    tampered[100] = tampered[100]! ^ 0xff;
    serveRelease(primary, { tarball: tampered });
    await expectRefused(
      verify([primary.url]),
      'checksum',
      new RegExp(
        `bitcoin-28.1-x86_64-linux-gnu.tar.gz has SHA-256 ${sha256Hex(tampered)}, but SHA256SUMS lists ${sha256Hex(release.tarball)}`,
      ),
    );
  });

  it('refuses a tarball SHA256SUMS does not list, without downloading it', async () => {
    serveRelease(primary);
    await expectRefused(
      verify([primary.url], { arch: 'powerpc64-linux-gnu' }),
      'checksum',
      /bitcoin-28.1-powerpc64-linux-gnu.tar.gz is not listed in SHA256SUMS/,
    );
    expect(primary.requests.some((path) => path.endsWith('.tar.gz'))).toBe(false);
  });

  it('refuses when a mirror serves different SHA256SUMS than the primary', async () => {
    serveRelease(primary);
    const other = makeRelease(VERSION);
    serveRelease(mirror, { sums: other.sha256sums, tarball: other.tarball });
    await expectRefused(
      verify([primary.url, mirror.url]),
      'mirror-check',
      new RegExp(`mirror ${mirror.url}bin/ serves different SHA256SUMS than primary ${primary.url}bin/`),
    );
  });

  it('falls back to the mirror when the primary is down, and records it', async () => {
    serveRelease(mirror);
    const down = await closedPortUrl();
    const verified = await verify([down, mirror.url]);
    expect(verified.sourceUrl.startsWith(mirror.url)).toBe(true);
    const unavailable = verified.report.downloads.filter((d) => d.outcome === 'unavailable');
    // The .asc is asked of the source whose SHA256SUMS we hold first, so the primary is tried twice.
    expect(unavailable.map((d) => d.url.split('/').pop())).toEqual(['SHA256SUMS', release.tarballName]);
    expect(unavailable[0]!.detail).toMatch(/ECONNREFUSED/);
    expect(verified.report.sha256sumsSource).toBe(`${mirror.url}bin/`);
    await disposeVerifiedRelease(verified);
  });

  it('falls back to the mirror for a file the primary does not have (404)', async () => {
    serveRelease(primary, { tarball: null });
    serveRelease(mirror);
    const verified = await verify([primary.url, mirror.url]);
    expect(verified.sourceUrl.startsWith(mirror.url)).toBe(true);
    expect(verified.report.downloads).toContainEqual(
      expect.objectContaining({ outcome: 'unavailable', detail: 'not found (HTTP 404)' }),
    );
    await disposeVerifiedRelease(verified);
  });

  it('names every source when none serves the release', async () => {
    await expectRefused(
      verify([primary.url, mirror.url], {}, '99.0'),
      'download',
      /no source served SHA256SUMS: .*bitcoin-core-99.0\/SHA256SUMS: not found \(HTTP 404\); .*bitcoin-core-99.0\/SHA256SUMS: not found/,
    );
  });

  it('refuses a tarball cut short of its Content-Length', async () => {
    serveRelease(primary, { tarball: { body: release.tarball, sendBytes: 1000 } });
    await expectRefused(
      verify([primary.url]),
      'download',
      new RegExp(`download of .*${release.tarballName} was cut short .*of ${release.tarball.length} bytes`),
    );
  });

  it('refuses a tarball larger than the cap', async () => {
    serveRelease(primary);
    await expectRefused(
      verifyRelease({
        implementation: 'core',
        version: VERSION,
        config: config([primary.url]),
        workRoot,
        limits: { tarballBytes: 1024 },
      }),
      'download',
      /announces \d+ bytes, more than the 1024-byte cap/,
    );
  });

  it('refuses a config whose keys can never reach the threshold', async () => {
    await expectRefused(
      verify([primary.url], { threshold: 7 }),
      'config',
      /threshold is 7 but .* pins only 6 builders/,
    );
  });
});
