// Whether an installed app has an update: the catalog's default is newer than what runs. Floating
// tags never count (there is no "newer" than a name that moves), and a pinned version means the
// user chose to stay, so it suppresses the update altogether.

import { compareBitcoinVersions, parseBitcoinVersion, type BitcoinImplementation } from '../bitcoin/index.js';
import { isFloatingTag } from '../manifest/index.js';
import { compareAppVersions, parseAppVersion } from '../resolver/index.js';
import type { CatalogApp, CatalogVersion } from './catalog-schema.js';

export interface UpdateQuery {
  installedVersion: string;
  catalogEntry: CatalogApp | undefined;
  pinnedVersion?: string;
  /** For Bitcoin apps: compare within that implementation's grammar (Knots by base, then date). */
  implementation?: BitcoinImplementation;
}

/** The catalog's default version when it is newer than the installed one; otherwise undefined. */
export function availableUpdate(query: UpdateQuery): CatalogVersion | undefined {
  const { installedVersion, catalogEntry, pinnedVersion, implementation } = query;
  if (!catalogEntry || pinnedVersion !== undefined) return undefined;
  const target = catalogEntry.versions.find((version) => version.default);
  if (!target || isFloatingTag(target.version) || isFloatingTag(installedVersion)) return undefined;
  return isNewer(target.version, installedVersion, implementation) ? target : undefined;
}

function isNewer(candidate: string, installed: string, implementation?: BitcoinImplementation): boolean {
  if (implementation !== undefined) {
    const next = parseBitcoinVersion(candidate, implementation);
    const current = parseBitcoinVersion(installed, implementation);
    // A version outside the implementation's grammar is not something we can call older or newer.
    return next !== undefined && current !== undefined && compareBitcoinVersions(next, current) > 0;
  }
  if (!parseAppVersion(candidate) || !parseAppVersion(installed)) return false;
  return compareAppVersions(candidate, installed) > 0;
}
