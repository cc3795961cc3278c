import { displayBitcoinVersion, parseBitcoinVersion } from '@archipelago/core/bitcoin-version';
import type { AppVersionInfo } from '@archipelago/core/contract';

// Which versions an install offers, which is preselected, and how each is labelled. The versions,
// their order (newest first) and their labels come from the daemon's catalog-list; this only adds
// the badges a dropdown shows.

export interface VersionOption {
  version: string;
  label: string;
  badges: string[];
  default: boolean;
  deprecated: boolean;
  endOfLife: boolean;
  /** The publisher's note on this version, e.g. why it is still offered. */
  notes?: string;
}

/** How a user sees a running version: Knots "29.3 (2026-05-08)"; anything else as written. */
export function displayVersion(version: string): string {
  const bitcoin = parseBitcoinVersion(version);
  return bitcoin?.knotsDate !== undefined ? displayBitcoinVersion(bitcoin) : version;
}

export function isPastEol(eol: string | undefined, today: Date): boolean {
  if (!eol) return false;
  const when = Date.parse(eol);
  return !Number.isNaN(when) && when <= today.getTime();
}

/** The versions to offer, in the daemon's order (newest first), with labels and badges. */
export function versionOptions(versions: readonly AppVersionInfo[], today = new Date()): VersionOption[] {
  return versions.map((info) => {
    const endOfLife = isPastEol(info.eol, today);
    const badges: string[] = [];
    if (info.default) badges.push('recommended');
    if (info.deprecated) badges.push('deprecated');
    if (endOfLife) badges.push('end of life');
    else if (info.eol) badges.push(`EOL ${info.eol}`);
    return {
      version: info.version,
      label: info.display,
      badges,
      default: info.default,
      deprecated: info.deprecated,
      endOfLife,
      ...(info.notes !== undefined && { notes: info.notes }),
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
