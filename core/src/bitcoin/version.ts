// Bitcoin Core and Bitcoin Knots version strings: parse, order, display.
//
// The shapes we meet:
// - Core release tags and catalog versions: `28.4`, `31.0`, `0.21.2`, release candidates `28.0rc1`
//   (also written `28.0-rc1` or `28.0rc.1`).
// - Knots appends its release date: `29.3.knots20260508` (the date orders two Knots builds of one
//   numeric version; the UI shows it as "29.3 (2026-05-08)").
// - debug.log banners print three parts and a `v`: `v28.1.0`, `v29.1.knots20250903`; a build from
//   git adds `-<commit>` (`v29.99.0-4b1d48a6866b`) and maybe `-dirty`.
// This module is the one grammar for all of them; the resolver's range checks build on it.

import { ArchyError, RpcErrorCode } from '../kernel/index.js';

export type BitcoinImplementation = 'core' | 'knots';

export interface BitcoinVersion {
  /** The text as given. */
  raw: string;
  implementation: BitcoinImplementation;
  major: number;
  minor: number;
  patch: number;
  /** The release-candidate number; absent for a final release. */
  rc?: number;
  /** Knots' release date as `yyyymmdd`; absent for Core. */
  knotsDate?: string;
}

// Kept as permissive as the resolver has always been (`29`, `v28.1.0`, `28.0-rc2`), since ranges
// in manifests and banners in logs are written in all these ways.
const BITCOIN_VERSION =
  /^v?(\d{1,4})(?:\.(\d{1,4}))?(?:\.(\d{1,4}))?(?:-?rc\.?(\d{1,3}))?(?:\.knots(\d{8}))?(?:-[0-9a-f]{7,40})?(?:-dirty)?$/;

/** Whether a yyyymmdd string is a real calendar date. */
function isCalendarDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Reads a Core or Knots version, or returns undefined when the text is neither. The
 * implementation follows from the text (a `.knotsYYYYMMDD` suffix means Knots); pass
 * `implementation` to refuse the other one's versions.
 */
export function parseBitcoinVersion(
  raw: string,
  implementation?: BitcoinImplementation,
): BitcoinVersion | undefined {
  const match = BITCOIN_VERSION.exec(raw);
  if (!match) return undefined;
  const [, major, minor = '0', patch = '0', rc, knotsDate] = match;
  if (knotsDate !== undefined && !isCalendarDate(knotsDate)) return undefined;
  const found: BitcoinImplementation = knotsDate === undefined ? 'core' : 'knots';
  if (implementation !== undefined && implementation !== found) return undefined;
  return {
    raw,
    implementation: found,
    major: Number(major),
    minor: Number(minor),
    patch: Number(patch),
    ...(rc !== undefined && { rc: Number(rc) }),
    ...(knotsDate !== undefined && { knotsDate }),
  };
}

const EXAMPLES: Record<BitcoinImplementation, string> = {
  core: 'such as "28.4", "31.0" or "28.0rc1"',
  knots: 'such as "29.3.knots20260508"',
};

export const implementationName = (implementation: BitcoinImplementation): string =>
  implementation === 'core' ? 'Bitcoin Core' : 'Bitcoin Knots';

/** Like parseBitcoinVersion, but an unreadable version is an error that shows the right shape. */
export function requireBitcoinVersion(raw: string, implementation: BitcoinImplementation): BitcoinVersion {
  const parsed = parseBitcoinVersion(raw, implementation);
  if (parsed) return parsed;
  throw new ArchyError(
    RpcErrorCode.InvalidParams,
    `'${raw}' is not a ${implementationName(implementation)} version; write one ${EXAMPLES[implementation]}`,
  );
}

/**
 * Orders by the numeric Core base only (major.minor.patch, then rc before final), ignoring Knots'
 * date. Knots is Core plus patches on the same base, so this is how versions of the two compare
 * when one datadir moves between them.
 */
export function compareCoreBase(a: BitcoinVersion, b: BitcoinVersion): number {
  return (
    a.major - b.major ||
    a.minor - b.minor ||
    a.patch - b.patch ||
    // A final release (no rc) sorts after every rc of the same numbers.
    (a.rc ?? Number.MAX_SAFE_INTEGER) - (b.rc ?? Number.MAX_SAFE_INTEGER)
  );
}

/**
 * Orders two versions of the same implementation, oldest first: by the numeric base, then (Knots)
 * by release date. Comparing a Core version with a Knots one this way would be meaningless, so it
 * throws; use compareCoreBase for that.
 */
export function compareBitcoinVersions(a: BitcoinVersion, b: BitcoinVersion): number {
  if (a.implementation !== b.implementation) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `cannot order ${implementationName(a.implementation)} ${a.raw} against ${implementationName(b.implementation)} ${b.raw}; ` +
        'compare their numeric Core base instead',
    );
  }
  return compareCoreBase(a, b) || Number(a.knotsDate ?? 0) - Number(b.knotsDate ?? 0);
}

/** Whether two texts name the same release (`28.1` and `v28.1.0` do). */
export const sameBitcoinVersion = (a: BitcoinVersion, b: BitcoinVersion): boolean =>
  a.implementation === b.implementation && compareBitcoinVersions(a, b) === 0;

/**
 * The release series a version belongs to. Since 22.0 that is the first number (`28` for 28.4);
 * before, Core numbered releases 0.x, so the series of `0.21.2` is `0.21`.
 */
export function releaseSeries(version: BitcoinVersion): string {
  return version.major === 0 ? `0.${version.minor}` : String(version.major);
}

/** The numeric base as Core writes it: `28.4`, `0.21.2`, `28.0rc1` (no `.0` patch, no date). */
export function formatCoreBase(version: BitcoinVersion): string {
  const numbers = `${version.major}.${version.minor}${version.patch === 0 ? '' : `.${version.patch}`}`;
  return version.rc === undefined ? numbers : `${numbers}rc${version.rc}`;
}

/** How a user sees a version: `28.4`, `28.0rc1`, and for Knots `29.3 (2026-05-08)`. */
export function displayBitcoinVersion(version: BitcoinVersion): string {
  const base = formatCoreBase(version);
  if (version.knotsDate === undefined) return base;
  const date = version.knotsDate;
  return `${base} (${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)})`;
}

/** The version as a catalog or image tag writes it: `28.4`, `29.3.knots20260508`. */
export function formatBitcoinVersion(version: BitcoinVersion): string {
  return version.knotsDate === undefined
    ? formatCoreBase(version)
    : `${formatCoreBase(version)}.knots${version.knotsDate}`;
}
