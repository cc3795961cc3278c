// Which versions we publish: "curate, don't mirror everything". By default the newest release of
// each of the newest four majors (the current one and the last three), per implementation.
// Everything else is *dropped*, and a dropped version is always reported with its reason —
// silently truncating the list would read as "all versions supported" when they are not.

import { z } from 'zod';
import { compareAppVersions } from '../resolver/index.js';
import { parseReleaseVersion, type Implementation, type ReleaseVersion } from './release-layout.js';

/** The current major plus the last three. */
export const DEFAULT_MAJORS = 4;

const versionString = z.string({
  error: (issue) =>
    issue.input === undefined
      ? 'required'
      : `quote every version ('31.0', not 31.0): YAML reads 31.0 as the number 31`,
});

const implementationSetSchema = z.strictObject({
  /** The releases to choose from: upstream's list, newest or oldest first, either way. */
  versions: z.array(versionString).default([]),
  /** How many majors to keep, newest first. */
  majors: z.number().int().min(1).default(DEFAULT_MAJORS),
  /** Keep every release of a kept major rather than only its newest. */
  allPatches: z.boolean().default(false),
  /** Versions kept whatever the rules say (e.g. a known-good release users still run). */
  include: z.array(versionString).default([]),
});

export const curatedSetSchema = z.strictObject({
  core: implementationSetSchema.optional(),
  knots: implementationSetSchema.optional(),
});

export type CuratedSetConfig = z.infer<typeof curatedSetSchema>;
export type ImplementationSetConfig = z.infer<typeof implementationSetSchema>;

export interface DroppedVersion {
  version: string;
  reason: string;
}

export interface CuratedSelection {
  implementation: Implementation;
  /** Newest first. */
  kept: string[];
  /** Newest first, each with why. */
  dropped: DroppedVersion[];
}

const newestFirst = (a: string, b: string): number => compareAppVersions(b, a);

/**
 * Splits the candidate versions into the ones we publish and the ones we drop. Throws (a config
 * error) on a version that isn't one of this implementation's, so a typo can't be dropped quietly.
 */
export function selectCuratedSet(
  implementation: Implementation,
  config: Partial<ImplementationSetConfig> = {},
): CuratedSelection {
  const majors = config.majors ?? DEFAULT_MAJORS;
  const include = new Set(config.include ?? []);
  const candidates = [...new Set([...(config.versions ?? []), ...include])];
  const releases = candidates.map((version) => parseReleaseVersion(implementation, version));

  const stable = releases.filter((release) => release.rc === undefined);
  const keptMajors = [...new Set(stable.map((release) => release.major))]
    .sort((a, b) => b - a)
    .slice(0, majors);
  const newestOfMajor = new Map<number, string>();
  for (const release of [...stable].sort((a, b) => newestFirst(a.version, b.version)))
    if (!newestOfMajor.has(release.major)) newestOfMajor.set(release.major, release.version);

  const kept: string[] = [];
  const dropped: DroppedVersion[] = [];
  for (const release of releases) {
    const reason = include.has(release.version)
      ? undefined
      : dropReason(release, { keptMajors, newestOfMajor, majors, allPatches: config.allPatches ?? false });
    if (reason === undefined) kept.push(release.version);
    else dropped.push({ version: release.version, reason });
  }
  kept.sort(newestFirst);
  dropped.sort((a, b) => newestFirst(a.version, b.version));
  return { implementation, kept, dropped };
}

function dropReason(
  release: ReleaseVersion,
  rules: { keptMajors: number[]; newestOfMajor: Map<number, string>; majors: number; allPatches: boolean },
): string | undefined {
  if (release.rc !== undefined) return 'release candidate; only final releases are published';
  if (!rules.keptMajors.includes(release.major))
    return `major ${release.major} is older than the ${rules.majors} newest majors kept (${rules.keptMajors.join(', ')})`;
  const newest = rules.newestOfMajor.get(release.major);
  if (!rules.allPatches && newest !== release.version)
    return `superseded by ${newest} in the ${release.major}.x line`;
  return undefined;
}

/** What logs a dropped version; pino's Logger fits. */
export interface WarnLogger {
  warn(fields: object, message: string): void;
}

/** Logs each dropped version with its reason, so a shorter list is never mistaken for a full one. */
export function logDroppedVersions(selection: CuratedSelection, logger: WarnLogger): void {
  for (const { version, reason } of selection.dropped)
    logger.warn(
      { implementation: selection.implementation, version, reason },
      `not publishing ${selection.implementation} ${version}: ${reason}`,
    );
}

/** A plain-text account of a selection, for the CLI and the README. */
export function formatCuratedSelection(selection: CuratedSelection): string {
  const name = selection.implementation === 'core' ? 'Bitcoin Core' : 'Bitcoin Knots';
  const lines = [`${name}: publishing ${selection.kept.length ? selection.kept.join(', ') : 'nothing'}`];
  if (selection.dropped.length) {
    lines.push(`${name}: dropped ${selection.dropped.length}:`);
    for (const { version, reason } of selection.dropped) lines.push(`  ${version} — ${reason}`);
  }
  return lines.join('\n');
}
