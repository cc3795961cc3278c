import { displayBitcoinVersion, parseBitcoinVersion } from '@archipelago/core/bitcoin-version';
import type { CatalogEntry } from '@archipelago/core/contract';
import type { CatalogVersionInfo } from '../api/planned-methods';

// Which versions an install offers, which is preselected, and how each is labelled.

/** A catalog entry as the UI reads it: `versions[]` arrives with the signed catalog; until then one version. */
export type CatalogEntryWithVersions = CatalogEntry & { versions?: CatalogVersionInfo[] };

export interface VersionOption {
  version: string;
  label: string;
  badges: string[];
  default: boolean;
  deprecated: boolean;
  endOfLife: boolean;
}

/** How a user sees a version: Knots "29.3 (2026-05-08)"; anything else as written. */
export function displayVersion(version: string): string {
  const bitcoin = parseBitcoinVersion(version);
  return bitcoin?.knotsDate !== undefined ? displayBitcoinVersion(bitcoin) : version;
}

/** Newest first, by numeric parts (Knots' date breaks ties); unknown shapes keep their order. */
export function compareVersionsDesc(a: string, b: string): number {
  const pa = a.match(/\d+/g)?.map(Number) ?? [];
  const pb = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pb[i] ?? -1) - (pa[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

export function isPastEol(eol: string | undefined, today: Date): boolean {
  if (!eol) return false;
  const when = Date.parse(eol);
  return !Number.isNaN(when) && when <= today.getTime();
}

/** The versions to offer, newest first, with labels and badges. */
export function versionOptions(entry: CatalogEntryWithVersions, today = new Date()): VersionOption[] {
  const versions: CatalogVersionInfo[] =
    entry.versions && entry.versions.length > 0
      ? entry.versions
      : [{ version: entry.version, default: true }];
  return [...versions]
    .sort((a, b) => compareVersionsDesc(a.version, b.version))
    .map((info) => {
      const endOfLife = isPastEol(info.eol, today);
      const badges: string[] = [];
      if (info.default || info.version === entry.version) badges.push('recommended');
      if (info.deprecated) badges.push('deprecated');
      if (endOfLife) badges.push('end of life');
      else if (info.eol) badges.push(`EOL ${info.eol}`);
      return {
        version: info.version,
        label: displayVersion(info.version),
        badges,
        default: info.default === true || info.version === entry.version,
        deprecated: info.deprecated === true,
        endOfLife,
      };
    });
}

/** What the install modal preselects: the catalog's default, else the newest that is not deprecated. */
export function preselectedVersion(options: VersionOption[]): string | undefined {
  return (
    options.find((option) => option.default)?.version ??
    options.find((option) => !option.deprecated && !option.endOfLife)?.version ??
    options[0]?.version
  );
}

/** "29.3 (2026-05-08) · recommended" — the text of a dropdown option. */
export function optionText(option: VersionOption): string {
  return option.badges.length > 0 ? `${option.label} · ${option.badges.join(', ')}` : option.label;
}
