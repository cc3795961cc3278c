// Decides what a version change of Bitcoin Core/Knots on an existing datadir means and whether it
// may go ahead: pure, from the versions and the facts datadir-inspect gathered. The orchestrator
// applies the plan (recreate with `startArgs`) only when `allowed`.
//
// The guard compares the target with the *newest* version any evidence says wrote the datadir —
// the recorded version, our marker, debug.log banners, format clues — not just with what we
// recorded: a banner newer than our marker means that version at least tried to start here, and
// may have upgraded databases before it stopped.

import { RpcErrorCode } from '../api/contract.js';
import { ArchyError } from '../util/errors.js';
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
  type BitcoinImplementation,
  type BitcoinVersion,
} from './version.js';

export type ConfirmationNeeded = 'nothing' | 'confirmation' | 'typed-confirmation';

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
    naming: (writer, target) => `${appId} ${show(writer)} → ${show(target)}`,
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
    naming: (writer, target) => `${describe(writer)} → ${describe(target)}`,
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
  from: BitcoinVersion;
  to: BitcoinVersion;
  facts: DatadirFacts;
  confirmDowngrade: boolean;
  confirmResync: string | undefined;
  /** How messages name the change: "bitcoin-core 30.0 → 28.4", or "Bitcoin Knots … → Bitcoin Core …". */
  naming: (writer: BitcoinVersion, target: BitcoinVersion) => string;
}

const describe = (version: BitcoinVersion): string =>
  `${implementationName(version.implementation)} ${displayBitcoinVersion(version)}`;
const show = displayBitcoinVersion;

function decide(decision: Decision): VersionChangePlan {
  const { from, to, facts, appId } = decision;
  const writer = newestWriter(from, facts);
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
  const change = decision.naming(writer.version, to);
  const newerThanRecorded =
    compareCoreBase(writer.version, from) > 0
      ? ` (${writer.evidence}, newer than the recorded ${show(from)})`
      : '';

  if (kind === 'same') {
    const warning = `${describe(writer.version)} wrote this datadir, the same version as ${show(to)}; its data stays as it is`;
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
      `${doing} is refused: ${because}. Stay on ${show(writer.version)} or another version of at least ` +
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
}

/** The newest version any evidence says wrote the datadir. */
function newestWriter(recorded: BitcoinVersion, facts: DatadirFacts): Writer {
  const candidates: Writer[] = [{ version: recorded, evidence: 'the recorded version' }];
  if (facts.marker) {
    const marked = parseBitcoinVersion(facts.marker.version, facts.marker.implementation);
    if (marked)
      candidates.push({ version: marked, evidence: `the marker written after ${show(marked)} ran` });
  }
  for (const banner of facts.banners) {
    const seen = parseBitcoinVersion(banner.version, banner.implementation);
    if (seen) candidates.push({ version: seen, evidence: `debug.log shows ${describe(seen)} started here` });
  }
  if (facts.xorKey === 'non-zero') {
    candidates.push({
      version: floor(28),
      evidence: 'blocks/xor.dat shows version 28 or later created this datadir',
    });
  }
  if (facts.coinstatsIndex) {
    candidates.push({
      version: floor(30),
      evidence: 'indexes/coinstatsindex/ shows version 30 or later ran here',
    });
  }
  // The first of equals wins, so the recorded version and the marker are preferred as evidence.
  return candidates.reduce((best, next) => (isNewer(next.version, best.version) ? next : best));
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
