// Version comparison for every kind of app version the catalog carries.
//
// How versions compare:
// - Strict semver (`1.0.0`, lnd's `0.18.3-beta`) is used as is.
// - Bitcoin Core's two- or three-part versions are padded with zeros: `28.4` → 28.4.0,
//   `0.21.2` → 0.21.2; a release candidate `28.0rc1` (or `28.0-rc1`) → 28.0.0-rc.1, so it sorts
//   before 28.0.
// - Knots appends its release date: `29.3.knots20260508` compares as 29.3.0 and, between two
//   Knots releases of the same numeric version, the later date is newer. Ranges (`>=29`) see the
//   numeric part only: Knots 29.3 satisfies whatever Core 29.3 satisfies.
// Ranges include pre-releases (`includePrerelease`): lnd tags every release `-beta`, and an rc
// the user chose to run should still satisfy `>=29`. When *we* pick a version, stable ones win.

import semver, { type SemVer } from 'semver';
import { parseBitcoinVersion } from '../bitcoin/version.js';

export interface AppVersion {
  raw: string;
  semver: SemVer;
  /** A Knots release date as yyyymmdd; 0 for everything else. Only breaks ties. */
  knotsDate: number;
}

/** The comparable form of a version, or undefined when it follows no scheme we know. */
export function parseAppVersion(raw: string): AppVersion | undefined {
  const strict = semver.parse(raw);
  if (strict) return { raw, semver: strict, knotsDate: 0 };
  // Core and Knots versions follow their own grammar, kept in one place: the bitcoin module.
  const bitcoin = parseBitcoinVersion(raw);
  if (!bitcoin) return undefined;
  const numeric = `${bitcoin.major}.${bitcoin.minor}.${bitcoin.patch}`;
  return {
    raw,
    semver: new semver.SemVer(bitcoin.rc === undefined ? numeric : `${numeric}-rc.${bitcoin.rc}`),
    knotsDate: bitcoin.knotsDate === undefined ? 0 : Number(bitcoin.knotsDate),
  };
}

/** Orders versions oldest first; versions that don't parse sort before all others, by text. */
export function compareAppVersions(a: string, b: string): number {
  const left = parseAppVersion(a);
  const right = parseAppVersion(b);
  if (!left || !right) {
    if (left) return 1;
    if (right) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return semver.compare(left.semver, right.semver) || left.knotsDate - right.knotsDate;
}

export function isValidRange(range: string): boolean {
  return semver.validRange(range) !== null;
}

/** Whether `version` is in `range`; a version we cannot parse satisfies no range. */
export function satisfiesRange(version: string, range: string): boolean {
  const parsed = parseAppVersion(version);
  return parsed !== undefined && semver.satisfies(parsed.semver, range, { includePrerelease: true });
}

/** The newest of `versions` in `range` (any, without one), preferring stable releases. */
export function newestSatisfying(versions: readonly string[], range?: string): string | undefined {
  const matching = versions
    .filter((version) => range === undefined || satisfiesRange(version, range))
    .sort(compareAppVersions)
    .reverse();
  const isStable = (version: string) => (parseAppVersion(version)?.semver.prerelease.length ?? 1) === 0;
  return matching.find(isStable) ?? matching[0];
}
