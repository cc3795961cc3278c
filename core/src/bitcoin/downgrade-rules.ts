// What moving a Bitcoin datadir from one version to another means, as a table of rules.
//
// Each row says when it applies (direction, version bounds, what the datadir shows) and its
// effect. Every matching row counts and the most severe effect wins, so adding a row can only make
// the guard stricter. Each row also says how we know: `observed` (seen with real bitcoind builds,
// see ARCHITECTURE.md), `documented` (upstream release notes), or `assumption` (a conservative
// guess where upstream promises nothing — Core tests upgrades, not downgrades).
//
// Knots is Core with patches on the same base and, as far as we know, the same on-disk formats,
// so the rows compare versions by their numeric Core base (an assumption too).

import { compareCoreBase, releaseSeries, type BitcoinVersion } from './version.js';

export type VersionChangeEffect = 'safe' | 'needs-reindex-chainstate' | 'needs-reindex' | 'refused';
export type RuleBasis = 'observed' | 'documented' | 'assumption';
export type ChangeDirection = 'upgrade' | 'same' | 'downgrade';

/** The state of `blocks/xor.dat`, which decides whether pre-28 versions can read the block files. */
export type XorKeyState = 'absent' | 'zero' | 'non-zero' | 'unreadable';

/** A version bound as [major, minor]. */
export type VersionBound = readonly [number, number];

export interface RuleCondition {
  direction: ChangeDirection;
  /** The newest version that wrote the datadir is at least this. */
  fromAtLeast?: VersionBound;
  /** The target version is below this. */
  toBelow?: VersionBound;
  /** One of these key states is found. */
  xorKey?: readonly XorKeyState[];
  /** Whether the change crosses release series (28 → 27, or 0.21 → 0.20). */
  seriesChange?: boolean;
  /** The datadir holds `indexes/coinstatsindex/` (the 30+ layout). */
  coinstatsIndex?: boolean;
}

export interface VersionChangeRule {
  id: string;
  when: RuleCondition;
  effect: VersionChangeEffect;
  /** Why, in words a user reads in a warning or refusal. */
  reason: string;
  basis: RuleBasis;
}

export const VERSION_CHANGE_RULES: readonly VersionChangeRule[] = [
  {
    id: 'upgrade',
    when: { direction: 'upgrade' },
    effect: 'safe',
    reason: 'a newer version upgrades the databases in place when it first starts',
    basis: 'documented',
  },
  {
    id: 'same-version',
    when: { direction: 'same' },
    effect: 'safe',
    reason: 'the same version already wrote this datadir',
    basis: 'observed',
  },
  {
    // Seen on regtest: a 29.99 datadir with a random key made 27.99 exit with "Corrupted block
    // database detected". That a -reindex cannot help is inferred: pre-28 versions read block
    // files without the key, so they find no blocks in them at all.
    id: 'xor-key-from-28',
    when: {
      direction: 'downgrade',
      fromAtLeast: [28, 0],
      toBelow: [28, 0],
      xorKey: ['non-zero', 'unreadable'],
    },
    effect: 'refused',
    reason:
      'this datadir was created by version 28 or later, which obfuscates the block files with the key in ' +
      'blocks/xor.dat; versions before 28 cannot read them, and a reindex would not help',
    basis: 'observed',
  },
  {
    // Seen on regtest: a pre-28 datadir gets an all-zero key when 28+ first runs, and going back
    // works. Recorded as its own row so the table says so, not only by the absence of a refusal.
    id: 'xor-key-zero',
    when: { direction: 'downgrade', fromAtLeast: [28, 0], toBelow: [28, 0], xorKey: ['zero', 'absent'] },
    effect: 'safe',
    reason:
      'the block files are not obfuscated (blocks/xor.dat holds an all-zero key), so older versions read them',
    basis: 'observed',
  },
  {
    // 0.15.0's release notes: the chainstate moved to a per-output format, and going back
    // afterwards needs -reindex-chainstate.
    id: 'chainstate-0.15',
    when: { direction: 'downgrade', fromAtLeast: [0, 15], toBelow: [0, 15] },
    effect: 'needs-reindex-chainstate',
    reason: 'version 0.15 changed the chainstate format, which older versions cannot read',
    basis: 'documented',
  },
  {
    // Core does not support or test running an older major on a datadir a newer one wrote;
    // rebuilding the chainstate from the blocks on disk is the cheapest way to be sure the older
    // version's databases are its own.
    id: 'older-release-series',
    when: { direction: 'downgrade', seriesChange: true },
    effect: 'needs-reindex-chainstate',
    reason:
      'an older major version may not read the databases a newer one wrote (downgrades are not supported upstream)',
    basis: 'assumption',
  },
  {
    // Point releases are backports; they have not changed on-disk formats in the releases we know.
    id: 'same-release-series',
    when: { direction: 'downgrade', seriesChange: false },
    effect: 'safe',
    reason: 'point releases of one major version share their on-disk formats',
    basis: 'assumption',
  },
  {
    // 30.0 keeps the coin statistics index in indexes/coinstatsindex/; older versions know only
    // indexes/coinstats/ and build that one again if -coinstatsindex is on. Harmless, but slow.
    id: 'coinstatsindex-from-30',
    when: { direction: 'downgrade', fromAtLeast: [30, 0], toBelow: [30, 0], coinstatsIndex: true },
    effect: 'safe',
    reason:
      'the coin statistics index written by 30+ (indexes/coinstatsindex/) is not read by older versions; ' +
      'with -coinstatsindex on they build their own again (hours)',
    basis: 'assumption',
  },
];

const SEVERITY: Record<VersionChangeEffect, number> = {
  safe: 0,
  'needs-reindex-chainstate': 1,
  'needs-reindex': 2,
  refused: 3,
};

export interface VersionChangeContext {
  /** The newest version known to have written the datadir. */
  from: BitcoinVersion;
  to: BitcoinVersion;
  xorKey: XorKeyState;
  coinstatsIndex: boolean;
}

export interface VersionChangeVerdict {
  direction: ChangeDirection;
  effect: VersionChangeEffect;
  /** Every row that applied, most severe first. */
  rules: VersionChangeRule[];
}

const boundVersion = ([major, minor]: VersionBound): BitcoinVersion => ({
  raw: `${major}.${minor}`,
  implementation: 'core',
  major,
  minor,
  patch: 0,
});

/**
 * Upgrade, same or downgrade by the numeric Core base; between two Knots builds of one base, the
 * release date decides. A Core/Knots pair of one base is `same`: the formats are the base's.
 */
export function directionOf(from: BitcoinVersion, to: BitcoinVersion): ChangeDirection {
  const byDate =
    from.knotsDate !== undefined && to.knotsDate !== undefined
      ? Number(to.knotsDate) - Number(from.knotsDate)
      : 0;
  const order = compareCoreBase(to, from) || byDate;
  return order > 0 ? 'upgrade' : order < 0 ? 'downgrade' : 'same';
}

function applies(when: RuleCondition, context: VersionChangeContext, direction: ChangeDirection): boolean {
  if (when.direction !== direction) return false;
  if (when.fromAtLeast && compareCoreBase(context.from, boundVersion(when.fromAtLeast)) < 0) return false;
  if (when.toBelow && compareCoreBase(context.to, boundVersion(when.toBelow)) >= 0) return false;
  if (when.xorKey && !when.xorKey.includes(context.xorKey)) return false;
  if (when.coinstatsIndex !== undefined && when.coinstatsIndex !== context.coinstatsIndex) return false;
  if (when.seriesChange !== undefined) {
    const crosses = releaseSeries(context.from) !== releaseSeries(context.to);
    if (crosses !== when.seriesChange) return false;
  }
  return true;
}

/** Looks a change up in the table (or in `rules`, for tests): the most severe matching row wins. */
export function evaluateVersionChange(
  context: VersionChangeContext,
  rules: readonly VersionChangeRule[] = VERSION_CHANGE_RULES,
): VersionChangeVerdict {
  const direction = directionOf(context.from, context.to);
  const matching = rules
    .filter((rule) => applies(rule.when, context, direction))
    .sort((a, b) => SEVERITY[b.effect] - SEVERITY[a.effect]);
  return { direction, effect: matching[0]?.effect ?? 'safe', rules: matching };
}
