// Which app satisfies one dependency of an app being installed or started. The order of
// preference, and why:
// 1. an app with exactly the requested id;
// 2. for an interface: the user's explicit choice; then the app the dependent was bound to at
//    install (a node doesn't silently swap LND's chain backend because a second one appeared);
//    then an app this plan already brings in (two dependents share one bitcoin node); then an
//    installed provider, an active one first; then the only installable provider.
// Anything still ambiguous is refused rather than guessed, listing the candidates — or, for the
// install plan the UI shows, reported as a choice the user still has to make. An app never
// satisfies its own dependency: if it alone provides what it needs, that is a cycle.

import type { ArchyError } from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';
import { isActive } from './app-state.js';
import type { AppUniverse } from './app-universe.js';
import {
  ambiguousProvider,
  choiceDoesNotProvide,
  dependencyCycle,
  noInstalledProvider,
  noProvider,
} from './refusals.js';

export interface ProviderQuery {
  dependent: AppManifest;
  /** The installed dependent's bindings, when it is installed. */
  bindings: Record<string, string> | undefined;
  requested: string;
  universe: AppUniverse;
  /** Apps the plan installs so far, by id. */
  planned: ReadonlyMap<string, AppManifest>;
  /** Interface → app id, as the user chose. */
  choices: Readonly<Record<string, string>>;
  /** Starting an installed app never installs anything: missing dependencies are refused. */
  mayInstall: boolean;
  /** The command to run again once the user has resolved an ambiguity, e.g. `archy install lnd`. */
  retry: string;
}

/**
 * What `decideProvider` found: the app, with the candidates when the user's choice picked it among
 * several (so a plan can keep offering the others); or several candidates and no way to pick one.
 */
export type ProviderDecision =
  { provider: string; choseAmong?: string[] } | { undecided: string[]; refusal: ArchyError };

export function chooseProvider(query: ProviderQuery): string {
  const decision = decideProvider(query);
  if ('undecided' in decision) throw decision.refusal;
  return decision.provider;
}

/** As chooseProvider, but an ambiguity comes back as the candidates instead of a refusal. */
export function decideProvider(query: ProviderQuery): ProviderDecision {
  const { dependent, requested, universe, planned } = query;
  const undecided = (candidates: string[], among: 'available' | 'installed' | 'active') => ({
    undecided: candidates,
    refusal: ambiguousProvider(dependent.id, requested, candidates, among, query.retry),
  });
  if (requested === dependent.id) return { provider: dependent.id };
  if (universe.installed.has(requested) || planned.has(requested)) return { provider: requested };
  if (universe.isAvailable(requested)) {
    if (query.mayInstall) return { provider: requested };
    throw noInstalledProvider(dependent.id, requested, [requested]);
  }

  // `requested` names an interface from here on.
  const others = (ids: string[]) => ids.filter((id) => id !== dependent.id);
  const installed = universe.installedProvidersOf(requested).filter((app) => app.id !== dependent.id);
  const inPlan = others([...planned.values()].filter((m) => m.provides.includes(requested)).map((m) => m.id));
  const installable = others(universe.installableProvidersOf(requested)).filter((id) => !planned.has(id));

  const choice = query.choices[requested];
  if (choice !== undefined) {
    const candidates = [
      ...new Set([...installed.map((app) => app.id), ...inPlan, ...(query.mayInstall ? installable : [])]),
    ].sort();
    if (candidates.includes(choice)) {
      return { provider: choice, ...(candidates.length > 1 && { choseAmong: candidates }) };
    }
    throw choiceDoesNotProvide(requested, choice, candidates);
  }
  const bound = query.bindings?.[requested];
  if (bound !== undefined && installed.some((app) => app.id === bound)) return { provider: bound };
  if (inPlan.length > 0) return { provider: inPlan.sort()[0]! };

  const active = installed.filter((app) => isActive(app.state)).map((app) => app.id);
  if (active.length === 1) return { provider: active[0]! };
  if (active.length > 1) return undecided(active, 'active');
  if (installed.length === 1) return { provider: installed[0]!.id };
  if (installed.length > 1)
    return undecided(
      installed.map((app) => app.id),
      'installed',
    );

  const providesItself = dependent.provides.includes(requested);
  if (!query.mayInstall) {
    if (installable.length === 0 && providesItself) throw selfCycle(dependent.id, requested);
    throw noInstalledProvider(dependent.id, requested, installable);
  }
  if (installable.length === 1) return { provider: installable[0]! };
  if (installable.length > 1) return undecided(installable, 'available');
  if (providesItself) throw selfCycle(dependent.id, requested);
  throw noProvider(dependent.id, requested);
}

const selfCycle = (id: string, requested: string) =>
  dependencyCycle([id, id], `${id} needs '${requested}', which only ${id} provides`);
