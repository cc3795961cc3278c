// The release cache on real files: a kept release is a complete folder or none (assembled beside
// its place and renamed in), a folder whose record is missing or broken counts as absent, kept
// binaries are recorded with their hashes, and a discarded release is gone.

import { access, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex, tempFolder } from '../pipeline/spec-release-fixture.js';
import { ReleaseCache, type VerifiedReleaseRecord } from './release-cache.js';

const ARCH = 'x86_64-linux-gnu';
const VERSION = '31.1';
const TARBALL = `bitcoin-${VERSION}-${ARCH}.tar.gz`;
const tarball = Buffer.from('pretend this is a release tarball\n');
const sums = Buffer.from(`${sha256Hex(tarball)}  ${TARBALL}\n`);
const asc = '-----BEGIN PGP SIGNATURE-----\n(not checked here)\n-----END PGP SIGNATURE-----\n';

let dir: string;
let cache: ReleaseCache;
let source: { tarball: string; sums: string; signatures: string };

beforeEach(async () => {
  dir = await tempFolder('release-cache');
  cache = new ReleaseCache(join(dir, 'releases'));
  const from = join(dir, 'download');
  await mkdir(from);
  source = {
    tarball: join(from, TARBALL),
    sums: join(from, 'SHA256SUMS'),
    signatures: join(from, 'SHA256SUMS.asc'),
  };
  await writeFile(source.tarball, tarball);
  await writeFile(source.sums, sums);
  await writeFile(source.signatures, asc);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const record = (fields: Partial<VerifiedReleaseRecord> = {}): VerifiedReleaseRecord => ({
  implementation: 'core',
  version: VERSION,
  arch: ARCH,
  tarball: TARBALL,
  sha256: sha256Hex(tarball),
  source: `http://127.0.0.1:1/bin/bitcoin-core-${VERSION}/${TARBALL}`,
  signers: ['A'.repeat(40), 'B'.repeat(40)],
  verifiedAt: '2026-05-01T00:00:00.000Z',
  ...fields,
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Everything in the version's folder: the kept arch folder and nothing staged beside it. */
const versionFolder = () => readdir(join(cache.root, 'core', VERSION));

describe('ReleaseCache', () => {
  it('keeps a copy as one complete folder and finds it', async () => {
    const kept = await cache.keep(source, record());
    expect(kept.dir).toBe(cache.releaseDir('core', VERSION, ARCH));
    expect(await versionFolder()).toEqual([ARCH]);
    expect((await readdir(kept.dir)).sort()).toEqual([
      'SHA256SUMS',
      'SHA256SUMS.asc',
      TARBALL,
      'verified.json',
    ]);
    expect(await readFile(kept.tarballPath)).toEqual(tarball);
    expect(await readFile(kept.sumsPath)).toEqual(sums);
    expect(await readFile(kept.signaturesPath, 'utf8')).toBe(asc);
    // The record's keys, plus the format version the JSON store stamps.
    expect(JSON.parse(await readFile(join(kept.dir, 'verified.json'), 'utf8'))).toEqual({
      ...record(),
      schemaVersion: 1,
    });
    // Copied: the originals are untouched.
    expect(await readFile(source.tarball)).toEqual(tarball);

    const found = await cache.find('core', VERSION, ARCH);
    expect(found).toEqual(kept);
    expect(await cache.find('core', VERSION, 'aarch64-linux-gnu')).toBeUndefined();
    expect(await cache.find('knots', VERSION, ARCH)).toBeUndefined();
  });

  it('moves the tarball when asked, and replaces an earlier folder whole', async () => {
    await cache.keep(source, record({ source: 'first' }));
    await writeFile(join(cache.releaseDir('core', VERSION, ARCH), 'stale-extra'), 'x');

    const kept = await cache.keep({ ...source, move: true }, record({ source: 'second' }));
    expect(await exists(source.tarball)).toBe(false);
    expect(await exists(source.sums)).toBe(true);
    expect(await readFile(kept.tarballPath)).toEqual(tarball);
    expect(kept.record.source).toBe('second');
    expect(await exists(join(kept.dir, 'stale-extra'))).toBe(false);
    expect(await versionFolder()).toEqual([ARCH]);
  });

  it('leaves nothing when keeping fails part way, and an earlier folder stays', async () => {
    await cache.keep(source, record({ source: 'first' }));
    await rm(source.signatures);
    await expect(cache.keep(source, record({ source: 'second' }))).rejects.toThrow(/ENOENT/);
    expect(await versionFolder()).toEqual([ARCH]);
    expect((await cache.find('core', VERSION, ARCH))?.record.source).toBe('first');
  });

  it('counts a folder whose record is missing or broken as absent', async () => {
    const kept = await cache.keep(source, record());
    const recordFile = join(kept.dir, 'verified.json');

    await writeFile(recordFile, '{ "implementation": "core", ');
    expect(await cache.find('core', VERSION, ARCH)).toBeUndefined();

    await writeFile(recordFile, JSON.stringify({ ...record(), sha256: 'not-a-hash' }));
    expect(await cache.find('core', VERSION, ARCH)).toBeUndefined();

    await writeFile(recordFile, JSON.stringify({ ...record(), implementation: 'other' }));
    expect(await cache.find('core', VERSION, ARCH)).toBeUndefined();

    await rm(recordFile);
    expect(await cache.find('core', VERSION, ARCH)).toBeUndefined();
  });

  it('keeps binaries under bin/ and records their hashes', async () => {
    const kept = await cache.keep(source, record());
    const extracted = join(dir, 'extracted');
    await mkdir(extracted);
    const bitcoind = Buffer.from('bitcoind bytes');
    const cli = Buffer.from('bitcoin-cli bytes');
    await writeFile(join(extracted, 'bitcoind'), bitcoind);
    await writeFile(join(extracted, 'bitcoin-cli'), cli);
    await cache.keepBinaries(kept, {
      bitcoind: { path: join(extracted, 'bitcoind'), member: `bitcoin-${VERSION}/bin/bitcoind` },
      'bitcoin-cli': { path: join(extracted, 'bitcoin-cli'), member: `bitcoin-${VERSION}/bin/bitcoin-cli` },
    });

    expect(await readFile(cache.binaryPath(kept, 'bitcoind'))).toEqual(bitcoind);
    expect(await readFile(cache.binaryPath(kept, 'bitcoin-cli'))).toEqual(cli);
    expect(cache.binaryPath(kept, 'bitcoind')).toBe(join(kept.dir, 'bin', 'bitcoind'));
    expect((await readdir(join(kept.dir, 'bin'))).sort()).toEqual(['bitcoin-cli', 'bitcoind']);
    const found = await cache.find('core', VERSION, ARCH);
    expect(found?.record).toEqual({
      ...record(),
      binaries: {
        bitcoind: { member: `bitcoin-${VERSION}/bin/bitcoind`, sha256: sha256Hex(bitcoind) },
        'bitcoin-cli': { member: `bitcoin-${VERSION}/bin/bitcoin-cli`, sha256: sha256Hex(cli) },
      },
    });
  });

  it('discards a kept release entirely', async () => {
    const kept = await cache.keep(source, record());
    await cache.discard('core', VERSION, ARCH);
    expect(await exists(kept.dir)).toBe(false);
    expect(await cache.find('core', VERSION, ARCH)).toBeUndefined();
    await cache.discard('core', VERSION, ARCH); // nothing there: no error
  });

  it('puts keys and partial downloads where the layout says', async () => {
    const hash = sha256Hex(tarball);
    expect(cache.keysDir).toBe(join(cache.root, 'keys'));
    expect(cache.partialDownload(hash)).toBe(join(cache.root, 'partial', hash));
    await cache.ensurePartialDir();
    const info = await stat(join(cache.root, 'partial'));
    expect(info.isDirectory()).toBe(true);
    expect(info.mode & 0o777).toBe(0o700);
  });
});
