import {
  compareBitcoinVersions,
  compareCoreBase,
  displayBitcoinVersion,
  implementationName,
  parseBitcoinVersion,
  type BitcoinImplementation,
} from '@archipelago/core/bitcoin-version';
import { RpcErrorCode, type RpcMethods } from '@archipelago/core/contract';
import { RpcError } from '../api/container-client';
import { refusalNeeds } from './guard-refusal';

// The decisions behind the Version & Updates card, kept out of the component so they can be tested
// on their own. The daemon decides for real (it reads the datadir); this is what the UI asks of the
// user before it even sends the request, so nobody downgrades a node by a slip of the finger.

export const BITCOIN_APPS: Record<string, BitcoinImplementation> = {
  'bitcoin-core': 'core',
  'bitcoin-knots': 'knots',
};

export function implementationOf(appId: string): BitcoinImplementation | undefined {
  return BITCOIN_APPS[appId];
}

export const otherImplementationApp = (appId: string): string | undefined =>
  appId === 'bitcoin-core' ? 'bitcoin-knots' : appId === 'bitcoin-knots' ? 'bitcoin-core' : undefined;

export type Direction = 'same' | 'upgrade' | 'downgrade' | 'unknown';
export type Needs = 'nothing' | 'confirmation' | 'typed-confirmation';

export interface ChangePlan {
  direction: Direction;
  needs: Needs;
  /** What the user must read before going ahead; empty for an upgrade. */
  warnings: string[];
  /** What the user must type when `needs` is typed-confirmation: the app id. */
  typedText?: string;
}

export interface ChangeRequest {
  appId: string;
  current: string;
  target: string;
  /** The node keeps only recent blocks; a reindex means downloading the whole chain again. */
  pruned: boolean;
}

const show = (raw: string): string => {
  const parsed = parseBitcoinVersion(raw);
  return parsed ? displayBitcoinVersion(parsed) : raw;
};

export const REINDEX_WARNING =
  'The older version cannot read the block database the newer one wrote. Bitcoin will rebuild its ' +
  'databases from the blocks on disk (a reindex): on small hardware that takes many hours to days, ' +
  'and the node — and every app that uses it, such as Lightning — is unusable meanwhile.';

export const resyncWarning = (appId: string): string =>
  `This node is pruned: it has no old blocks to rebuild from, so this means a full re-sync — the ` +
  `whole blockchain (hundreds of GB) downloaded and verified again, which takes days. ` +
  `Type ${appId} to confirm.`;

/** What changing an installed Core/Knots version asks of the user. */
export function planVersionChange(request: ChangeRequest): ChangePlan {
  const implementation = implementationOf(request.appId);
  const from = parseBitcoinVersion(request.current, implementation);
  const to = parseBitcoinVersion(request.target, implementation);
  if (!from || !to) {
    return {
      direction: 'unknown',
      needs: 'confirmation',
      warnings: [
        `Cannot compare ${request.current} with ${request.target}; the node will check before it changes anything.`,
      ],
    };
  }
  const order = compareBitcoinVersions(to, from);
  if (order === 0) return { direction: 'same', needs: 'nothing', warnings: [] };
  if (order > 0) return { direction: 'upgrade', needs: 'nothing', warnings: [] };
  return downgradePlan(request.appId, `${show(request.current)} → ${show(request.target)}`, request.pruned);
}

function downgradePlan(appId: string, naming: string, pruned: boolean): ChangePlan {
  const warnings = [`Downgrade ${naming}. ${REINDEX_WARNING}`];
  if (pruned) {
    warnings.push(resyncWarning(appId));
    return { direction: 'downgrade', needs: 'typed-confirmation', warnings, typedText: appId };
  }
  return { direction: 'downgrade', needs: 'confirmation', warnings };
}

export interface SwitchRequest {
  fromApp: string;
  fromVersion: string;
  toApp: string;
  toVersion: string;
  pruned: boolean;
}

/** Core ⇄ Knots: always its own confirmation, plus whatever the version step needs. */
export function planImplementationSwitch(request: SwitchRequest): ChangePlan {
  const fromImpl = implementationOf(request.fromApp);
  const toImpl = implementationOf(request.toApp);
  const switchWords =
    fromImpl && toImpl
      ? `Switch from ${implementationName(fromImpl)} to ${implementationName(toImpl)}: the blockchain data, ` +
        `secrets and ports are kept and handed over; ${implementationName(fromImpl)} is stopped and ` +
        `only one of them ever runs. Apps that use the node reconnect to the new one.`
      : `Switch from ${request.fromApp} to ${request.toApp}.`;
  const from = parseBitcoinVersion(request.fromVersion, fromImpl);
  const to = parseBitcoinVersion(request.toVersion, toImpl);
  // Knots is Core plus patches on the same base: compare the numeric Core base only.
  if (from && to && compareCoreBase(to, from) < 0) {
    const naming = `${show(request.fromVersion)} → ${show(request.toVersion)}`;
    const downgrade = downgradePlan(request.toApp, naming, request.pruned);
    return { ...downgrade, warnings: [switchWords, ...downgrade.warnings] };
  }
  return {
    direction: from && to ? (compareCoreBase(to, from) === 0 ? 'same' : 'upgrade') : 'unknown',
    needs: 'confirmation',
    warnings: [switchWords],
  };
}

export interface Consent {
  /** The user ticked "I understand". */
  confirmed: boolean;
  /** What the user typed. */
  typed: string;
}

/** Whether the card may send the change with what the user has given so far. */
export function consentSatisfied(plan: ChangePlan, consent: Consent): boolean {
  if (plan.direction === 'same') return false;
  switch (plan.needs) {
    case 'nothing':
      return true;
    case 'confirmation':
      return consent.confirmed;
    case 'typed-confirmation':
      return consent.confirmed && consent.typed.trim() === plan.typedText;
  }
}

export function setVersionParams(
  appId: string,
  target: string,
  plan: ChangePlan,
  consent: Consent,
): RpcMethods['package.set-version']['params'] {
  return {
    id: appId,
    version: target,
    ...(plan.direction === 'downgrade' && consent.confirmed && { confirmDowngrade: true }),
    ...(plan.needs === 'typed-confirmation' && { confirmResync: consent.typed.trim() }),
  };
}

export function switchParams(
  request: SwitchRequest,
  plan: ChangePlan,
  consent: Consent,
): RpcMethods['package.switch-implementation']['params'] {
  return {
    from: request.fromApp,
    to: request.toApp,
    version: request.toVersion,
    confirmSwitch: consent.confirmed,
    ...(plan.direction === 'downgrade' && consent.confirmed && { confirmDowngrade: true }),
    ...(plan.needs === 'typed-confirmation' && { confirmResync: consent.typed.trim() }),
  };
}

/** The words to show when a version/config call fails; a daemon without the method is said so plainly. */
export function describeFailure(error: unknown, action: string): string {
  if (error instanceof RpcError && error.code === RpcErrorCode.MethodNotFound) {
    return `This node cannot ${action} yet: its daemon has no such method. Update Archipelago, then try again.`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Whether a refusal says the node is pruned (so the card should ask for the typed id). */
export function refusalNeedsTypedConfirmation(error: unknown): boolean {
  if (!(error instanceof RpcError)) return false;
  return refusalNeeds(error) === 'typed-confirmation' || /pruned|re-?sync|re-download/i.test(error.message);
}
