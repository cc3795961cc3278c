// Where a node keeps the official releases it verified, so switching back to a version never
// downloads it again, and where an interrupted download waits to be resumed:
//
//   DATA_DIR/releases/
//     keys/<FINGERPRINT>.asc                  pinned builders' public keys (builder-key-store.ts)
//     <core|knots>/<version>/<arch>/          one verified release
//       bitcoin-<v>-<arch>.tar.gz, SHA256SUMS, SHA256SUMS.asc, verified.json
//     partial/<sha256>.part                   a tarball download in progress (resumed by hash)
//
// A release folder is complete or absent: it is assembled beside its final place and renamed in.

import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { sha256OfFile } from '../pipeline/sha256-stream.js';
import { JsonFile, type JsonFormat } from '../util/json-store.js';

const verifiedSchema = z.object({
  implementation: z.enum(['core', 'knots']),
  version: z.string(),
  arch: z.string(),
  tarball: z.string(),
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
  /** Where the tarball came from: a URL, or file://… for a release the user brought. */
  source: z.string(),
  /** Fingerprints of the builders whose signatures over SHA256SUMS were good. */
  signers: z.array(z.string()),
  verifiedAt: z.string(),
  /**
   * bitcoind and bitcoin-cli as first taken out of the verified tarball, kept under bin/ with
   * their hashes, so rebuilding the image needs no decompression of the tarball again.
   */
  binaries: z
    .record(z.string(), z.object({ member: z.string(), sha256: z.string().regex(/^[a-f0-9]{64}$/) }))
    .optional(),
});
export type VerifiedReleaseRecord = z.infer<typeof verifiedSchema>;

export const SUMS_FILE = 'SHA256SUMS';
export const SIGNATURES_FILE = 'SHA256SUMS.asc';
const RECORD_FILE = 'verified.json';

// verified.json through the typed JSON store (version 1: records written before it was stamped).
const RECORD_FORMAT: JsonFormat<VerifiedReleaseRecord> = {
  what: 'verified release record',
  schema: verifiedSchema,
  version: 1,
};
const recordFile = (dir: string) => new JsonFile(join(dir, RECORD_FILE), RECORD_FORMAT);

export interface CachedRelease {
  dir: string;
  tarballPath: string;
  sumsPath: string;
  signaturesPath: string;
  record: VerifiedReleaseRecord;
}

export class ReleaseCache {
  constructor(readonly root: string) {}

  get keysDir(): string {
    return join(this.root, 'keys');
  }

  /** Where a tarball with this SHA-256 is downloaded to (the downloader adds `.part` while it runs). */
  partialDownload(sha256: string): string {
    return join(this.root, 'partial', sha256);
  }

  async ensurePartialDir(): Promise<void> {
    await mkdir(join(this.root, 'partial'), { recursive: true, mode: 0o700 });
  }

  releaseDir(implementation: string, version: string, arch: string): string {
    return join(this.root, implementation, version, arch);
  }

  /** The kept release, if one is complete; a folder whose record doesn't parse counts as absent. */
  async find(implementation: string, version: string, arch: string): Promise<CachedRelease | undefined> {
    const dir = this.releaseDir(implementation, version, arch);
    let record: VerifiedReleaseRecord | undefined;
    try {
      record = await recordFile(dir).read();
    } catch {
      record = undefined;
    }
    if (record === undefined) return undefined;
    return {
      dir,
      tarballPath: join(dir, record.tarball),
      sumsPath: join(dir, SUMS_FILE),
      signaturesPath: join(dir, SIGNATURES_FILE),
      record,
    };
  }

  /**
   * Keeps a verified release: the files are copied (or moved, when `move`) into a fresh folder
   * beside the final one, the record written, and the folder renamed into place.
   */
  async keep(
    files: { tarball: string; sums: string; signatures: string; move?: boolean },
    record: VerifiedReleaseRecord,
  ): Promise<CachedRelease> {
    const dir = this.releaseDir(record.implementation, record.version, record.arch);
    const staging = `${dir}.new-${randomBytes(4).toString('hex')}`;
    await mkdir(staging, { recursive: true, mode: 0o700 });
    try {
      const place = files.move ? rename : copyFile;
      await place(files.tarball, join(staging, record.tarball));
      await copyFile(files.sums, join(staging, SUMS_FILE));
      await copyFile(files.signatures, join(staging, SIGNATURES_FILE));
      await recordFile(staging).write(record);
      await rm(dir, { recursive: true, force: true });
      await rename(staging, dir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    return (await this.find(record.implementation, record.version, record.arch))!;
  }

  /** Keeps the binaries first taken out of a kept release (see VerifiedReleaseRecord.binaries). */
  async keepBinaries(
    kept: CachedRelease,
    files: Record<string, { path: string; member: string }>,
  ): Promise<void> {
    const bin = join(kept.dir, 'bin');
    await mkdir(bin, { recursive: true, mode: 0o700 });
    const binaries: NonNullable<VerifiedReleaseRecord['binaries']> = {};
    for (const [name, { path, member }] of Object.entries(files)) {
      const staged = join(bin, `.${name}.new`);
      await copyFile(path, staged);
      await rename(staged, join(bin, name));
      binaries[name] = { member, sha256: await sha256OfFile(join(bin, name)) };
    }
    await recordFile(kept.dir).write({ ...kept.record, binaries });
  }

  /** Where a kept binary is (see keepBinaries). */
  binaryPath(kept: CachedRelease, name: string): string {
    return join(kept.dir, 'bin', name);
  }

  /** Forgets a kept release that no longer verifies (it is fetched again). */
  async discard(implementation: string, version: string, arch: string): Promise<void> {
    await rm(this.releaseDir(implementation, version, arch), { recursive: true, force: true });
  }
}
