// The dry run of a version change (`package.plan-version-change`): the plan the daemon would follow
// for a set-version or a Core ⇄ Knots switch, as a report for the CLI and the web UI. The deciding
// is the real call's own (set-version.ts and implementation-switch.ts hand over their planners); this only asks that planner
// what the given params, and then every confirmation, would let through — so a client shows the
// daemon's answer instead of keeping a copy of the rules.

import type { VersionChangePlanReport } from '../kernel/index.js';
import {
  VERSION_CHANGE_RULES,
  type BitcoinImplementation,
  type VersionChangePlan,
} from '../bitcoin/index.js';
import { displayVersion } from './display-version.js';

/**
 * A version change as decided: the Bitcoin plan (which always names the datadir's writer), or for
 * another app a plain direction — `unknown` when its versions do not compare — and a confirmation
 * for a downgrade.
 */
export type DecidedChange = Omit<VersionChangePlan, 'kind' | 'datadirVersion' | 'warning'> & {
  kind: VersionChangePlan['kind'] | 'unknown';
  warning?: string;
  datadirVersion?: VersionChangePlan['datadirVersion'];
};

export interface Confirmations {
  confirmSwitch?: boolean;
  confirmDowngrade?: boolean;
  confirmResync?: string;
}

/** The decision for any confirmations, the facts (the datadir's evidence) already read. */
export type Planner = (confirm: Confirmations) => DecidedChange;

type Side = VersionChangePlanReport['from'];

/** An app and version as the report shows them (Knots with its date). */
export function shown(
  side: { id?: string; version: string },
  implementation: BitcoinImplementation | undefined,
  id = side.id ?? '',
): Side {
  return { id, version: side.version, display: displayVersion(side.version, implementation) };
}

/** The target is what runs already: the real call changes nothing and answers at once. */
export function samePlan(from: Side, to: VersionChangePlanReport['to']): VersionChangePlanReport {
  return {
    op: 'set-version',
    from,
    to,
    direction: 'same',
    allowed: true,
    needs: 'nothing',
    confirmable: true,
    confirm: {},
    startArgs: [],
    warning: `${from.id} already runs ${from.display}; nothing would change`,
    reasons: [],
  };
}

export interface PlanReportRequest {
  op: VersionChangePlanReport['op'];
  from: Side;
  to: VersionChangePlanReport['to'];
  planWith: Planner;
  /** The confirmations the params gave. */
  given: Confirmations;
}

export function planReport({ op, from, to, planWith, given }: PlanReportRequest): VersionChangePlanReport {
  const switching = op === 'switch-implementation';
  const plan = planWith(pick(given));
  // The one text a full re-sync is confirmed with is the id of the app that runs afterwards.
  const typedText = to.id;
  const everything = {
    ...(switching && { confirmSwitch: true }),
    confirmDowngrade: true,
    confirmResync: typedText,
  };
  const confirmable = planWith(everything).allowed;
  // What the version step alone asks, the switch (if any) taken as confirmed.
  const versionStepFree = planWith(switching ? { confirmSwitch: true } : {}).allowed;
  const confirm: VersionChangePlanReport['confirm'] = confirmable
    ? {
        ...(switching && { confirmSwitch: true }),
        ...(!versionStepFree && { confirmDowngrade: true }),
        ...(!versionStepFree && plan.needs === 'typed-confirmation' && { confirmResync: typedText }),
      }
    : {};
  return {
    op,
    from,
    to,
    direction: plan.kind,
    allowed: plan.allowed,
    needs: plan.needs,
    confirmable,
    confirm,
    ...(plan.needs === 'typed-confirmation' && { typedText }),
    ...(plan.reindex !== undefined && { reindex: plan.reindex }),
    startArgs: plan.allowed || confirmable ? plan.startArgs : [],
    ...(plan.warning !== undefined && { warning: plan.warning }),
    ...(plan.refusal !== undefined && { refusal: plan.refusal }),
    reasons: plan.rules.map((id) => {
      const rule = VERSION_CHANGE_RULES.find((row) => row.id === id);
      return { rule: id, effect: rule?.effect ?? 'unknown', reason: rule?.reason ?? '' };
    }),
    ...(plan.datadirVersion && { datadirVersion: plan.datadirVersion }),
  };
}

/** Only the confirmations (the params also name the app and version). */
function pick(given: Confirmations): Confirmations {
  return {
    ...(given.confirmSwitch !== undefined && { confirmSwitch: given.confirmSwitch }),
    ...(given.confirmDowngrade !== undefined && { confirmDowngrade: given.confirmDowngrade }),
    ...(given.confirmResync !== undefined && { confirmResync: given.confirmResync }),
  };
}
