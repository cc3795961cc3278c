import {
  RpcErrorCode,
  type ConfirmationNeeded as Needs,
  type GuardConfirmation,
} from '@archipelago/core/contract';
import { RpcError } from '../api/container-client';

// The Bitcoin version guard's refusal to start a node on its datadir (an install onto kept data, a
// start, a restart): a Conflict whose data (typed by the contract) says what the user must give for
// it to go ahead; anything else is no refusal of the guard and is shown as any other error. The
// values are still checked: a daemon of another version may send what this UI cannot act on.

export interface GuardRefusal {
  /** The daemon's refusal, in its words with the CLI's way of confirming put as the web's. */
  message: string;
  /** `nothing`: refused whatever is confirmed; otherwise what confirming takes. */
  needs: Needs;
  /** What the start would be: downgrade, unknown (nothing says which version wrote the data), … */
  kind?: string;
  /** Ids of the downgrade rules that applied. */
  rules: string[];
}

const NEEDS: readonly string[] = ['nothing', 'confirmation', 'typed-confirmation'] satisfies Needs[];
const isNeeds = (value: unknown): value is Needs => typeof value === 'string' && NEEDS.includes(value);

/** The guard's refusal in `error`, or undefined when it is some other failure. */
export function guardRefusal(error: unknown): GuardRefusal | undefined {
  if (!(error instanceof RpcError)) return undefined;
  const data = error.dataFor(RpcErrorCode.Conflict);
  if (!data || !('guard' in data) || typeof data.guard !== 'object' || data.guard === null) return undefined;
  const { needs, kind, rules } = data.guard;
  if (!isNeeds(needs)) return undefined;
  return {
    message: webWording(error.message),
    needs,
    ...(typeof kind === 'string' && { kind }),
    rules: Array.isArray(rules) ? rules.filter((rule): rule is string => typeof rule === 'string') : [],
  };
}

/** Whether the user can accept the refusal (a yes, or a yes and the app id typed). */
export const confirmable = (refusal: GuardRefusal): boolean => refusal.needs !== 'nothing';

/** Whether what the user gave is enough to send the confirmation. */
export function consentGiven(refusal: GuardRefusal, appId: string, typed: string): boolean {
  if (refusal.needs === 'typed-confirmation') return typed.trim() === appId;
  return refusal.needs === 'confirmation';
}

/** The params that retry the refused call as confirmed: `typed` is what the user typed (the app id). */
export function guardConfirmation(refusal: GuardRefusal, typed = ''): GuardConfirmation {
  return {
    confirmDowngrade: true,
    ...(refusal.needs === 'typed-confirmation' && { confirmResync: typed.trim() }),
  };
}

/**
 * The daemon words its refusals for the terminal ("confirm with --confirm-downgrade"); in the web UI
 * the confirmation is the button (and the typed id) right below the message.
 */
export function webWording(message: string): string {
  return message
    .replace(
      /confirm with --confirm-downgrade and by typing the app id \(([^)]+)\)/g,
      'confirm below by typing the app id ($1)',
    )
    .replace(/confirm with --confirm-downgrade/g, 'confirm below');
}
