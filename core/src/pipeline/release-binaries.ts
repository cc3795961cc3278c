// Takes bitcoind and bitcoin-cli out of a verified release tarball — nothing else goes into the
// image (no bitcoin-qt, no test binaries, no man pages).
//
// Upstream's layout has changed over the years (`bitcoin-0.21.0/bin/`, `bitcoin-28.1/bin/`, Knots'
// `bitcoin-29.3.knots20260508/bin/`), so the binaries are found by listing the archive: the one
// regular file named bitcoind (bitcoin-cli) in a `bin/` folder. None, or more than one, is a
// refusal — guessing which of two bitcoinds to ship is not something a build should do.
// GNU tar does the reading: it refuses absolute and `..` member names on extraction, and only the
// two chosen members are extracted.

import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { refusedStep, releaseRefused } from './pipeline-error.js';

const run = promisify(execFile);

export const RELEASE_BINARIES = ['bitcoind', 'bitcoin-cli'] as const;
export type ReleaseBinary = (typeof RELEASE_BINARIES)[number];

interface ArchiveEntry {
  /** `-` regular file, `d` folder, `l` symlink, `h` hard link, … (tar -tv's first column). */
  type: string;
  path: string;
}

/** The archive's members as `tar -tvzf` lists them (GNU tar's verbose format). */
export async function listArchive(tarball: string): Promise<ArchiveEntry[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('tar', ['--numeric-owner', '-tvzf', tarball], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    const detail = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    throw releaseRefused('build', `cannot read ${tarball} as a gzip tar archive: ${detail}`, {
      cause: error,
    });
  }
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      // perms owner/group size date time name[ -> target]
      const match = /^(\S)\S*\s+\S+\s+\d+\s+\S+\s+\S+\s+(.*)$/.exec(line);
      const rest = match?.[2] ?? '';
      const arrow = rest.indexOf(' -> ');
      const link = rest.indexOf(' link to ');
      const path = arrow >= 0 ? rest.slice(0, arrow) : link >= 0 ? rest.slice(0, link) : rest;
      return { type: match?.[1] ?? '?', path };
    });
}

/** The member that is `name` in a `bin/` folder; throws unless there is exactly one regular file. */
export function findBinary(entries: ArchiveEntry[], name: ReleaseBinary, tarballName: string): string {
  const named = entries.filter((entry) => {
    const parts = entry.path.replace(/^\.\//, '').replace(/\/$/, '').split('/');
    return parts.at(-1) === name && parts.at(-2) === 'bin';
  });
  if (named.length === 0)
    throw releaseRefused(
      'build',
      `${tarballName} holds no bin/${name}; this is not a Bitcoin Core/Knots release for a node ` +
        '(check arch in the config), so no image was built.',
    );
  if (named.length > 1)
    throw releaseRefused(
      'build',
      `${tarballName} holds ${named.length} files named bin/${name} (${named.map((e) => e.path).join(', ')}); ` +
        'refusing to guess which one to ship.',
    );
  const [entry] = named;
  if (entry!.type !== '-')
    throw releaseRefused(
      'build',
      `${tarballName}: ${entry!.path} is not a regular file (tar type '${entry!.type}'); refusing to follow links ` +
        'out of a release archive.',
    );
  return entry!.path;
}

/**
 * Extracts bitcoind and bitcoin-cli into `destination` (an existing folder), mode 0755. Returns
 * where each one was found in the archive, for the build log.
 */
export async function extractReleaseBinaries(
  tarball: string,
  tarballName: string,
  destination: string,
): Promise<Record<ReleaseBinary, string>> {
  const entries = await listArchive(tarball);
  const members = Object.fromEntries(
    RELEASE_BINARIES.map((name) => [name, findBinary(entries, name, tarballName)]),
  ) as Record<ReleaseBinary, string>;
  const scratch = await mkdtemp(join(destination, '.extract-'));
  try {
    await run('tar', [
      '-xzf',
      tarball,
      '-C',
      scratch,
      '--no-same-owner',
      '--no-same-permissions',
      '--',
      ...RELEASE_BINARIES.map((name) => members[name]),
    ]);
    for (const name of RELEASE_BINARIES) {
      const extracted = join(scratch, members[name]);
      const info = await stat(extracted);
      if (!info.isFile() || info.size === 0)
        throw releaseRefused('build', `${tarballName}: ${members[name]} is empty; refusing to ship it.`);
      await copyFile(extracted, join(destination, name));
      await chmod(join(destination, name), 0o755);
    }
  } catch (error) {
    if (refusedStep(error) !== undefined) throw error;
    const detail = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    throw releaseRefused('build', `extracting ${tarballName} failed: ${detail}`, { cause: error });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return members;
}
