// Where a release's files live on a source that follows upstream's layout:
//
//   Core   <source>bitcoin-core-<v>/bitcoin-<v>-<arch>.tar.gz   (beside SHA256SUMS, SHA256SUMS.asc)
//          release candidates sit one folder deeper: bitcoin-core-28.0/test.rc1/
//   Knots  <source><major>.x/<v>/bitcoin-<v>-<arch>.tar.gz      e.g. 29.x/29.3.knots20260508/
//
// Versions go into URLs, so they are checked against a strict shape first: a "version" such as
// `../../evil` must never become a path on the server.

import { releaseRefused } from './pipeline-error.js';

export type Implementation = 'core' | 'knots';
export const IMPLEMENTATIONS: readonly Implementation[] = ['core', 'knots'];

/** `28.1`, `0.21.2`, `30.0rc1` (upstream's spelling of candidates). */
const CORE_VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?(?:rc(\d+))?$/;
/** `29.3.knots20260508`, `28.1.knots20250305`, candidates `29.1rc1.knots20250101` are not published here. */
const KNOTS_VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?\.knots(\d{8})$/;

export interface ReleaseVersion {
  implementation: Implementation;
  /** Exactly as upstream spells it; also the image tag. */
  version: string;
  major: number;
  /** `28.0` for `28.0rc1`, the version itself otherwise. */
  base: string;
  /** Release-candidate number, if this is one. */
  rc?: number;
}

const EXAMPLES: Record<Implementation, string> = {
  core: 'e.g. 28.1 or 30.0rc1',
  knots: 'e.g. 29.3.knots20260508 (Knots versions carry their release date)',
};

/** Checks a version's shape for its implementation; throws a config error that shows the right shape. */
export function parseReleaseVersion(implementation: Implementation, version: string): ReleaseVersion {
  const match = (implementation === 'core' ? CORE_VERSION : KNOTS_VERSION).exec(version);
  if (!match)
    throw releaseRefused(
      'config',
      `'${version}' is not a Bitcoin ${implementation === 'core' ? 'Core' : 'Knots'} version (${EXAMPLES[implementation]})`,
    );
  const [, major, minor, patch] = match;
  const base = `${major}.${minor}${patch === undefined ? '' : `.${patch}`}`;
  const rc = implementation === 'core' && match[4] !== undefined ? Number(match[4]) : undefined;
  return { implementation, version, major: Number(major), base, ...(rc === undefined ? {} : { rc }) };
}

export interface ReleaseUrls {
  /** The release's folder on this source, ending with `/`. */
  folder: string;
  tarball: string;
  sha256sums: string;
  signatures: string;
  /** The tarball's file name, as SHA256SUMS lists it. */
  tarballName: string;
}

export function tarballName(version: string, arch: string): string {
  return `bitcoin-${version}-${arch}.tar.gz`;
}

function releaseFolder(release: ReleaseVersion): string {
  if (release.implementation === 'knots') return `${release.major}.x/${release.version}/`;
  const candidate = release.rc === undefined ? '' : `test.rc${release.rc}/`;
  return `bitcoin-core-${release.base}/${candidate}`;
}

/** The URLs of one release's files on one source (a base URL ending with `/`). */
export function releaseUrls(source: string, release: ReleaseVersion, arch: string): ReleaseUrls {
  const folder = new URL(releaseFolder(release), source).href;
  const name = tarballName(release.version, arch);
  return {
    folder,
    tarball: new URL(name, folder).href,
    sha256sums: new URL('SHA256SUMS', folder).href,
    signatures: new URL('SHA256SUMS.asc', folder).href,
    tarballName: name,
  };
}
