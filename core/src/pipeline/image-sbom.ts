// The SBOM of an image built from a rootfs of ours (on a node, or by the publishing pipeline),
// made from the finished root filesystem: every regular file is listed and hashed as it is in the
// image, and each must have a recorded origin (a Debian package's file, a member of the verified
// release, a file of the app's folder, or one the build wrote) — a file nobody accounts for stops
// the build rather than ship unexplained bytes.

import { stat } from 'node:fs/promises';
import type { RootfsSources } from './image-rootfs.js';
import {
  buildSbom,
  debianOriginOf,
  listRootfsFiles,
  type BuiltSbom,
  type DebianFileOrigin,
  type FileOrigin,
  type SbomFile,
} from '../security/sbom/index.js';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';

/** The verified release an image's release files came from. */
export interface SbomRelease {
  implementation: 'core' | 'knots';
  version: string;
  tarball: string;
  sha256: string;
  source: string;
  signers: string[];
}

export const SBOM_FORMAT = 'CycloneDX 1.6 JSON';

export async function sbomForRootfs(options: {
  subject: { name: string; version: string; imageId?: string };
  rootDir: string;
  sources: RootfsSources;
  createdAt: Date;
  appId: string;
  release?: SbomRelease;
}): Promise<BuiltSbom> {
  const listing = await listRootfsFiles(options.rootDir);
  const hostPaths = [...options.sources.values()].flatMap((s) => (s.kind === 'host' ? [s.hostPath] : []));
  const debian = await debianOrigins(hostPaths);
  const files: SbomFile[] = listing.files.map((file) => ({
    ...file,
    origin: originOf(file.path, options, debian),
  }));
  return buildSbom({
    subject: options.subject,
    createdAt: options.createdAt,
    files,
    symlinks: listing.symlinks,
  });
}

/**
 * debianOriginOf, remembered for the daemon's lifetime: asking dpkg costs ~0.2 s per build (it
 * reads every package's file list), and the base files rarely change. An answer holds while the
 * file (its inode, size, mtime) and dpkg's status file (any install or upgrade) are unchanged.
 */
const knownOrigins = new Map<string, { stamp: string; origin: DebianFileOrigin }>();

async function stampOf(path: string): Promise<string> {
  const [file, status] = await Promise.all([stat(path), stat(DPKG_STATUS).catch(() => undefined)]);
  return `${file.dev}:${file.ino}:${file.size}:${file.mtimeMs}:${status?.mtimeMs ?? 0}`;
}

async function debianOrigins(hostPaths: readonly string[]): Promise<Map<string, DebianFileOrigin>> {
  const result = new Map<string, DebianFileOrigin>();
  const stamps = new Map<string, string>();
  const unknown: string[] = [];
  for (const path of new Set(hostPaths)) {
    const stamp = await stampOf(path);
    const known = knownOrigins.get(path);
    if (known?.stamp === stamp) result.set(path, known.origin);
    else {
      unknown.push(path);
      stamps.set(path, stamp);
    }
  }
  if (unknown.length > 0) {
    for (const [path, origin] of await debianOriginOf(unknown)) {
      result.set(path, origin);
      knownOrigins.set(path, { stamp: stamps.get(path)!, origin });
    }
  }
  return result;
}

const DPKG_STATUS = '/var/lib/dpkg/status';

function originOf(
  path: string,
  options: { sources: RootfsSources; appId: string; release?: SbomRelease },
  debian: Map<string, DebianFileOrigin>,
): FileOrigin {
  const source = options.sources.get(path);
  switch (source?.kind) {
    case 'host': {
      const origin = debian.get(source.hostPath);
      if (origin) return origin;
      break;
    }
    case 'release':
      if (options.release)
        return {
          kind: 'release',
          implementation: options.release.implementation,
          version: options.release.version,
          tarball: options.release.tarball,
          tarballSha256: options.release.sha256,
          url: options.release.source,
          member: source.member,
          signers: options.release.signers,
        };
      break;
    case 'app':
      return { kind: 'app', appId: options.appId, source: source.source };
    case 'generated':
      return { kind: 'generated', by: source.by };
    case undefined:
      break;
  }
  throw new ArchyError(
    RpcErrorCode.InternalError,
    `the image being built holds ${path}, whose origin was not recorded; the build is stopped rather than ship a file its SBOM cannot account for`,
  );
}
