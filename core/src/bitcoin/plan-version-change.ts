// Decides what a version change of Bitcoin Core/Knots on an existing datadir means and whether it
// may go ahead: pure, from the versions and the facts datadir-inspect gathered. The orchestrator
// applies the plan (recreate with `startArgs`) only when `allowed`.
//
// The guard compares the target with the *newest* version any evidence says wrote the datadir —
// the recorded version, our marker, debug.log banners, format clues — not just with what we
// recorded: a banner newer than our marker means that version at least tried to start here, and
// may have upgraded databases before it stopped. Evidence older than the marker is superseded by
// it: the marker is written when a version ran healthy here (or when the daemon itself restored it
// over a version that failed), so that version has accepted everything the datadir held then.
//
// Every start of a Bitcoin node on an existing datadir asks the same question (planStartOnDatadir):
// installing onto kept data, start, restart, the supervisor's restart, an import — with the same
// rules, confirmations and one-time flags as a version change.
//
// One file (about 480 lines) on purpose: the set-version plan, the implementation switch's plan
// and the start guard apply one table of rules to one set of facts; split, the three would drift
// apart, which is the mistake the table exists to prevent.

import { ArchyError, RpcErrorCode, type ConfirmationNeeded } from '../kernel/index.js';
import type { DatadirFacts } from './datadir-inspect.js';
import {
  directionOf,
  evaluateVersionChange,
  type ChangeDirection,
  type VersionChangeVerdict,
  type XorKeyState,
} from './downgrade-rules.js';
import {
  compareCoreBase,
  displayBitcoinVersion,
  implementationName,
  parseBitcoinVersion,
  requireBitcoinVersion,
  sameBitcoinVersion,
  type BitcoinImplementation,
  type BitcoinVersion,
} from './version.js';

// The kernel's type: a refusal carries it in its `data`.
export type { ConfirmationNeeded };

export interface VersionChangePlan {
  kind: ChangeDirection;
  allowed: boolean;
  /** What the user must give for this change to go ahead (whether or not they already did). */
  needs: ConfirmationNeeded;
  /** `chainstate`: -reindex-chainstate from local blocks; `full`: -reindex (a re-download when pruned). */
  reindex?: 'chainstate' | 'full';
  /** Extra bitcoind arguments for the first start of the new version. Never `-reindex=auto`. */
  startArgs: string[];
  /** What will happen, for the UI to show before and while it happens. */
  warning: string;
  /** Why it did not go ahead and what to do; present exactly when `allowed` is false. */
  refusal?: string;
  /** The newest version the evidence says wrote the datadir, and which evidence. */
  datadirVersion: { implementation: BitcoinImplementation; version: string; evidence: string };
  /** Ids of the rules-table rows that applied. */
  rules: string[];
}

export interface VersionChangeRequest {
  implementation: BitcoinImplementation;
  /** The app whose id the user types to accept a full re-sync; default bitcoin-core / bitcoin-knots. */
  appId?: string;
  /** The version recorded as installed. */
  from: string;
  to: string;
  facts: DatadirFacts;
  confirmDowngrade?: boolean;
  /** What the user typed to accept a full re-sync; must equal the app id. */
  confirmResync?: string;
}

export interface StartRequest {
  implementation: BitcoinImplementation;
  /** The app whose id the user types to accept a full re-sync; default bitcoin-core / bitcoin-knots. */
  appId?: string;
  /** The version about to start. */
  version: string;
  /**
   * The version our record says ran on this datadir; absent when the data is not from a run we
   * recorded (kept from a removed app, imported, adopted), so only the datadir's evidence counts.
   */
  recorded?: string;
  facts: DatadirFacts;
  confirmDowngrade?: boolean;
  confirmResync?: string;
}

/** `fresh`: nothing to protect yet; `unknown`: a chain whose writer no evidence names. */
export type StartPlan =
  | VersionChangePlan
  | (Omit<VersionChangePlan, 'kind' | 'datadirVersion' | 'reindex'> & { kind: 'fresh' | 'unknown' });

/**
 * Plans starting `version` on a datadir: the same decision as a version change from whatever wrote
 * it (so a downgrade is refused, confirmed or given its one-time reindex exactly as set-version
 * would), `fresh` when there is no chain yet, and `unknown` — which needs --confirm-downgrade, and
 * never gets a reindex — when there is a chain but nothing says which version wrote it.
 */
export function planStartOnDatadir(request: StartRequest): StartPlan {
  const appId = request.appId ?? defaultAppId(request.implementation);
  const to = requireBitcoinVersion(request.version, request.implementation);
  const recorded =
    request.recorded !== undefined
      ? requireBitcoinVersion(request.recorded, request.implementation)
      : undefined;
  const { facts } = request;
  if (!recorded && !newestWriter(undefined, facts, to)) {
    if (!facts.hasBlocks) {
      return {
        kind: 'fresh',
        allowed: true,
        needs: 'nothing',
        startArgs: [],
        warning: `${describe(to)} starts a new chain in this datadir`,
        rules: [],
      };
    }
    const warning =
      `nothing says which version wrote the chain in ${facts.datadir} (no Archipelago version marker, no version ` +
      `banner in debug.log, no format clue); if a newer version wrote it, ${describe(to)} may not read it, or may ` +
      `damage it. It is not assumed to be older`;
    const plan = { kind: 'unknown' as const, needs: 'confirmation' as const, startArgs: [], rules: [] };
    return request.confirmDowngrade
      ? { ...plan, allowed: true, warning: `${warning}; started as confirmed, without any reindex` }
      : {
          ...plan,
          allowed: false,
          warning,
          refusal:
            `${warning}. If you know the version that ran here last, install that version or a newer one; to start ` +
            `${show(to)} on it anyway, confirm with --confirm-downgrade (it starts without any reindex)`,
        };
  }
  return decide({
    appId,
    ...(recorded && { from: recorded }),
    to,
    facts,
    confirmDowngrade: request.confirmDowngrade ?? false,
    confirmResync: request.confirmResync,
    naming: (writer, target) => `${appId} ${writer} → ${target}`,
  });
}

export const defaultAppId = (implementation: BitcoinImplementation): string => `bitcoin-${implementation}`;

/** Plans a change between two versions of one implementation on the same datadir. */
export function planVersionChange(request: VersionChangeRequest): VersionChangePlan {
  const appId = request.appId ?? defaultAppId(request.implementation);
  const from = requireBitcoinVersion(request.from, request.implementation);
  const to = requireBitcoinVersion(request.to, request.implementation);
  return decide({
    appId,
    from,
    to,
    facts: request.facts,
    confirmDowngrade: request.confirmDowngrade ?? false,
    confirmResync: request.confirmResync,
    naming: (writer, target) => `${appId} ${writer} → ${target}`,
  });
}

export interface ImplementationSwitchRequest {
  /** The app being switched to, e.g. bitcoin-core; its id is what a full re-sync is confirmed with. */
  appId?: string;
  from: { implementation: BitcoinImplementation; version: string };
  to: { implementation: BitcoinImplementation; version: string };
  facts: DatadirFacts;
  /** The user agreed to switch implementations (a separate step from any downgrade). */
  confirmSwitch?: boolean;
  confirmDowngrade?: boolean;
  confirmResync?: string;
}

export interface ImplementationSwitchPlan extends VersionChangePlan {
  switch: { from: BitcoinImplementation; to: BitcoinImplementation };
}

/**
 * Plans a Core ⇄ Knots switch on the same datadir. The versions compare by their numeric Core
 * base (Knots 29.3 → Core 28.4 is a downgrade; Knots 29.3 → Core 29.3 is not), and the switch
 * itself always needs its own confirmation on top of whatever the version change needs.
 */
export function planImplementationSwitch(request: ImplementationSwitchRequest): ImplementationSwitchPlan {
  if (request.from.implementation === request.to.implementation) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `${implementationName(request.to.implementation)} is already the implementation on this datadir; ` +
        'to change its version, use: archy set-version',
    );
  }
  const appId = request.appId ?? defaultAppId(request.to.implementation);
  const from = requireBitcoinVersion(request.from.version, request.from.implementation);
  const to = requireBitcoinVersion(request.to.version, request.to.implementation);
  const plan = decide({
    appId,
    from,
    to,
    facts: request.facts,
    confirmDowngrade: request.confirmDowngrade ?? false,
    confirmResync: request.confirmResync,
    naming: (writer, target, versions) =>
      `${implementationName(versions.writer.implementation)} ${writer} → ${implementationName(versions.target.implementation)} ${target}`,
  });
  const switchWords =
    `switching from ${describe(from)} to ${describe(to)} keeps the datadir, secrets and ports; ` +
    `only one of them ever runs`;
  const result: ImplementationSwitchPlan = {
    ...plan,
    needs: plan.needs === 'nothing' ? 'confirmation' : plan.needs,
    warning: `${switchWords}. ${plan.warning}`,
    switch: { from: from.implementation, to: to.implementation },
  };
  if (request.confirmSwitch) return result;
  const refusal = plan.refusal
    ? `${plan.refusal}; the switch itself also needs --confirm-switch`
    : `${switchWords}; confirm the switch with --confirm-switch`;
  return { ...result, allowed: false, refusal };
}

// ---------------------------------------------------------------------------------------------

interface Decision {
  appId: string;
  /** The version our record says ran here, when there is a record. */
  from?: BitcoinVersion;
  to: BitcoinVersion;
  facts: DatadirFacts;
  confirmDowngrade: boolean;
  confirmResync: string | undefined;
  /** How messages name the change: "bitcoin-core 30.0 → 28.4", or "Bitcoin Knots … → Bitcoin Core …". */
  naming: (
    writer: string,
    target: string,
    versions: { writer: BitcoinVersion; target: BitcoinVersion },
  ) => string;
}

const describe = (version: BitcoinVersion): string =>
  `${implementationName(version.implementation)} ${displayBitcoinVersion(version)}`;
const show = displayBitcoinVersion;

function decide(decision: Decision): VersionChangePlan {
  const { from, to, facts, appId } = decision;
  // With a record there is always a writer; without one, planStartOnDatadir handled "none".
  const writer = newestWriter(from, facts, to)!;
  const kind = directionOf(writer.version, to);
  const verdict = evaluateVersionChange({
    from: writer.version,
    to,
    xorKey: facts.xorKey,
    coinstatsIndex: facts.coinstatsIndex,
  });
  const base = {
    kind,
    startArgs: [] as string[],
    datadirVersion: {
      implementation: writer.version.implementation,
      version: writer.version.raw,
      evidence: writer.evidence,
    },
    rules: verdict.rules.map((rule) => rule.id),
  };
  const change = decision.naming(writer.label, show(to), { writer: writer.version, target: to });
  const newerThanRecorded = !from
    ? ` (${writer.evidence})`
    : compareCoreBase(writer.version, from) > 0
      ? ` (${writer.evidence}, newer than the recorded ${show(from)})`
      : '';

  if (kind === 'same') {
    const warning = `${implementationName(writer.version.implementation)} ${writer.label} wrote this datadir, the same version as ${show(to)}; its data stays as it is`;
    return { ...base, allowed: true, needs: 'nothing', warning };
  }
  if (kind === 'upgrade') {
    return {
      ...base,
      allowed: true,
      needs: 'nothing',
      warning: `upgrading ${change}: ${verdict.rules[0]?.reason ?? 'no rule forbids it'}. ${goingBack(writer.version, to, facts)}`,
    };
  }

  const doing = `downgrading ${change}${newerThanRecorded}`;
  const reasons = verdict.rules.filter((rule) => rule.effect === verdict.effect).map((rule) => rule.reason);
  const notes = verdict.rules.filter((rule) => rule.effect === 'safe' && verdict.effect !== 'safe');
  const because = reasons.join('; ');
  const alsoNote = notes.length > 0 ? ` Also: ${notes.map((rule) => rule.reason).join('; ')}.` : '';

  if (verdict.effect === 'refused') {
    const refusal =
      `${doing} is refused: ${because}. Stay on ${writer.label} or another version of at least ` +
      `${minimumVersionFor(verdict)}, or install ${show(to)} with a new, empty datadir (it downloads the whole chain again)`;
    return { ...base, allowed: false, needs: 'nothing', warning: refusal, refusal };
  }

  if (verdict.effect === 'safe') {
    const warning = `${doing} keeps the datadir as it is: ${because}.${alsoNote}`;
    return confirmOrRefuse(
      base,
      warning,
      decision,
      'confirmation',
      `${doing} needs confirmation (${because}); confirm with --confirm-downgrade`,
    );
  }

  const reindex = verdict.effect === 'needs-reindex' ? 'full' : 'chainstate';
  if (facts.prune.pruned) {
    const warning =
      `${doing} needs a reindex of the ${reindex === 'full' ? 'block index and chainstate' : 'chainstate'}, because ` +
      `${because}; this node is pruned: it would have to re-download the whole chain (a full re-sync, which can take days).${alsoNote}`;
    const typedHint =
      decision.confirmResync !== undefined && decision.confirmResync !== appId
        ? `you typed '${decision.confirmResync}', not '${appId}'. `
        : '';
    const refusal =
      `${typedHint}${doing} would re-download the whole chain: this node is pruned, so it cannot reindex from local blocks; ` +
      `to accept, confirm with --confirm-downgrade and by typing the app id (${appId})`;
    return confirmOrRefuse(
      { ...base, reindex: 'full', startArgs: ['-reindex'] },
      warning,
      decision,
      'typed-confirmation',
      refusal,
    );
  }

  const rebuild =
    reindex === 'full'
      ? 'a full reindex (block index and chainstate rebuilt from the blocks on disk; many hours, no download)'
      : 'a reindex of the chainstate (hours)';
  const warning = `${doing} needs ${rebuild}, because ${because}.${alsoNote}`;
  return confirmOrRefuse(
    { ...base, reindex, startArgs: [reindex === 'full' ? '-reindex' : '-reindex-chainstate'] },
    warning,
    decision,
    'confirmation',
    `${doing} needs ${rebuild}; confirm with --confirm-downgrade`,
  );
}

type PlanBase = Omit<VersionChangePlan, 'allowed' | 'needs' | 'warning' | 'refusal'>;

function confirmOrRefuse(
  base: PlanBase,
  warning: string,
  decision: Decision,
  needs: 'confirmation' | 'typed-confirmation',
  refusal: string,
): VersionChangePlan {
  const confirmed =
    decision.confirmDowngrade && (needs === 'confirmation' || decision.confirmResync === decision.appId);
  return confirmed
    ? { ...base, allowed: true, needs, warning }
    : { ...base, allowed: false, needs, warning, refusal };
}

/** The lowest version the refusing rows would accept, for "stay on at least …". */
function minimumVersionFor(verdict: VersionChangeVerdict): string {
  const bounds = verdict.rules
    .filter((rule) => rule.effect === 'refused' && rule.when.toBelow)
    .map((rule) => rule.when.toBelow!);
  const highest = bounds.sort((a, b) => b[0] - a[0] || b[1] - a[1])[0];
  return highest ? `${highest[0]}.${highest[1]}` : 'the current one';
}

/** What going back to `previous` after this upgrade would take, so the user knows before agreeing. */
function goingBack(previous: BitcoinVersion, next: BitcoinVersion, facts: DatadirFacts): string {
  // A 28+ start gives an existing chain an all-zero key, and a fresh datadir a random one.
  const xorAfter: XorKeyState =
    facts.xorKey !== 'absent' || next.major < 28 ? facts.xorKey : facts.hasBlocks ? 'zero' : 'non-zero';
  const back = evaluateVersionChange({
    from: next,
    to: previous,
    xorKey: xorAfter,
    coinstatsIndex: facts.coinstatsIndex,
  });
  const to = `Going back to ${show(previous)} later`;
  switch (back.effect) {
    case 'refused':
      return `${to} will not be possible on this datadir.`;
    case 'needs-reindex':
    case 'needs-reindex-chainstate':
      return facts.prune.pruned
        ? `${to} would mean re-downloading the whole chain (this node is pruned).`
        : `${to} needs a reindex of the ${back.effect === 'needs-reindex' ? 'block index and chainstate' : 'chainstate'} (hours).`;
    default:
      return `${to} needs only a confirmation.`;
  }
}

interface Writer {
  version: BitcoinVersion;
  evidence: string;
  /** How messages name it: the version the user chose, and what debug.log printed when that differs. */
  label: string;
}

/**
 * The newest version any evidence says wrote the datadir, or undefined when nothing does. `target`
 * helps name a banner by the catalog version the user knows (a banner `v28.0.0rc1` is `28.0rc1`).
 */
function newestWriter(
  recorded: BitcoinVersion | undefined,
  facts: DatadirFacts,
  target: BitcoinVersion,
): Writer | undefined {
  const candidates: Writer[] = [];
  if (recorded)
    candidates.push({ version: recorded, evidence: 'the recorded version', label: show(recorded) });
  const marker = facts.marker;
  const marked = marker ? parseBitcoinVersion(marker.version, marker.implementation) : undefined;
  if (marker && marked) {
    candidates.push({
      version: marked,
      evidence: `the marker written after ${show(marked)} ran`,
      label: withBanner(show(marked), marker.banner),
    });
  }
  // Evidence from before the marker was written is what the marker's version accepted. debug.log
  // stamps whole seconds, so a banner in the marker's own second counts as before it: a failed
  // upgrade's banner and the restore's marker often share a second, while a newer bitcoind cannot
  // print its banner in the second our healthy run's marker is written (ours must shut down first).
  const markedAt = marker && marked ? Date.parse(marker.writtenAt) : Number.NaN;
  const superseded = (at: string | undefined): boolean =>
    at !== undefined && Number.isFinite(markedAt) && Date.parse(at) < markedAt;
  const known = [recorded, marked, target].filter((v): v is BitcoinVersion => v !== undefined);
  for (const banner of facts.banners) {
    if (superseded(banner.at)) continue;
    // A later start of the build the marker records (its banner may read `v27.99.0-…` for a catalog 27.2).
    if (marker?.banner === banner.version && marker.implementation === banner.implementation) continue;
    const seen = parseBitcoinVersion(banner.version, banner.implementation);
    if (!seen) continue;
    const chosen = known.find((version) => sameBitcoinVersion(version, seen));
    candidates.push({
      version: seen,
      evidence: `debug.log shows ${implementationName(seen.implementation)} ${show(seen)} started here`,
      label: withBanner(show(chosen ?? seen), banner.version),
    });
  }
  // A random key is a property of the block files for good: pre-28 versions never read them.
  if (facts.xorKey === 'non-zero') {
    candidates.push(clue(28, 'blocks/xor.dat shows version 28 or later created this datadir'));
  } else if (facts.xorKey === 'zero' && !superseded(facts.xorKeySince)) {
    candidates.push(clue(28, 'blocks/xor.dat shows version 28 or later ran here'));
  }
  if (facts.coinstatsIndex && !superseded(facts.coinstatsIndexSince)) {
    candidates.push(clue(30, 'indexes/coinstatsindex/ shows version 30 or later ran here'));
  }
  if (candidates.length === 0) return undefined;
  // The first of equals wins, so the recorded version and the marker are preferred as evidence;
  // the name says what debug.log printed if any evidence of that same version knows it.
  const newest = candidates.reduce((best, next) => (isNewer(next.version, best.version) ? next : best));
  const named = candidates.find(
    (candidate) =>
      !isNewer(candidate.version, newest.version) &&
      !isNewer(newest.version, candidate.version) &&
      candidate.label !== show(candidate.version),
  );
  return named && named.label.startsWith(newest.label) ? { ...newest, label: named.label } : newest;
}

/** "27.2 (debug.log: v27.99.0-4b1d48a6866b)" when what debug.log printed is not just another spelling. */
function withBanner(label: string, banner: string | undefined): string {
  if (banner === undefined) return label;
  const printed = parseBitcoinVersion(banner);
  return printed && show(printed) === label ? label : `${label} (debug.log: v${banner})`;
}

function clue(major: number, evidence: string): Writer {
  const version = floor(major);
  return { version, evidence, label: show(version) };
}

const floor = (major: number): BitcoinVersion => ({
  raw: `${major}.0`,
  implementation: 'core',
  major,
  minor: 0,
  patch: 0,
});

function isNewer(a: BitcoinVersion, b: BitcoinVersion): boolean {
  const byBase = compareCoreBase(a, b);
  if (byBase !== 0) return byBase > 0;
  return a.knotsDate !== undefined && b.knotsDate !== undefined && Number(a.knotsDate) > Number(b.knotsDate);
}
