import {
  RpcErrorCode,
  type CatalogEntry,
  type RpcMethods,
  type VersionChangePlanReport,
} from '@archipelago/core/contract';
import { RpcError } from '../api/container-client';

// The decisions behind the Version & Updates card, kept out of the component so they can be tested
// on their own. What a change means and asks of the user is the daemon's plan
// (`package.plan-version-change`, decided as the real call decides it, from the datadir's
// evidence): the card shows it and gathers the consent it asks for — it keeps no rules of its own.

export type VersionPlan = VersionChangePlanReport;

/** The other Bitcoin implementation an app can switch to: the Bitcoin node it conflicts with. */
export function switchTargetOf(app: CatalogEntry | undefined, catalog: readonly CatalogEntry[]) {
  if (!app?.bitcoin) return undefined;
  return catalog.find((other) => other.bitcoin && other.id !== app.id && app.conflicts.includes(other.id));
}

export interface Consent {
  /** The user ticked "I understand". */
  confirmed: boolean;
  /** What the user typed. */
  typed: string;
}

/** Whether the user must tick (and maybe type) before the change goes ahead. */
export const asksConsent = (plan: VersionPlan): boolean =>
  plan.confirmable && Object.keys(plan.confirm).length > 0;

/** Whether the card may send the change with what the user has given so far. */
export function consentSatisfied(plan: VersionPlan | undefined, consent: Consent): boolean {
  if (!plan || plan.direction === 'same' || !plan.confirmable) return false;
  if (!asksConsent(plan)) return true;
  if (!consent.confirmed) return false;
  return plan.needs !== 'typed-confirmation' || consent.typed.trim() === plan.typedText;
}

/** What the daemon's plan asks for, with what the user typed as the typed confirmation. */
function confirmations(plan: VersionPlan, consent: Consent) {
  if (!consent.confirmed) return {};
  const { confirmResync, ...rest } = plan.confirm;
  return { ...rest, ...(confirmResync !== undefined && { confirmResync: consent.typed.trim() }) };
}

export function setVersionParams(
  appId: string,
  target: string,
  plan: VersionPlan,
  consent: Consent,
): RpcMethods['package.set-version']['params'] {
  const { confirmSwitch: _ignored, ...confirm } = confirmations(plan, consent);
  return { id: appId, version: target, ...confirm };
}

export function switchParams(
  from: string,
  to: string,
  version: string,
  plan: VersionPlan,
  consent: Consent,
): RpcMethods['package.switch-implementation']['params'] {
  return { from, to, version, ...confirmations(plan, consent) };
}

/** The words to show when a version/config call fails; a daemon without the method is said so plainly. */
export function describeFailure(error: unknown, action: string): string {
  if (error instanceof RpcError && error.code === RpcErrorCode.MethodNotFound) {
    return `This node cannot ${action} yet: its daemon has no such method. Update Archipelago, then try again.`;
  }
  return error instanceof Error ? error.message : String(error);
}
