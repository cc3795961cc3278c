// Which app satisfies one dependency of an app being installed or started. The order of
// preference, and why:
// 1. an app with exactly the requested id;
// 2. for an interface: the user's explicit choice; then the app the dependent was bound to at
//    install (a node doesn't silently swap LND's chain backend because a second one appeared);
//    then an app this plan already brings in (two dependents share one bitcoin node); then an
//    installed provider, an active one first; then the only installable provider.
// Anything still ambiguous is refused rather than guessed, listing the candidates. An app never
// satisfies its own dependency: if it alone provides what it needs, that is a cycle.

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

export function chooseProvider(query: ProviderQuery): string {
  const { dependent, requested, universe, planned } = query;
  if (requested === dependent.id) return dependent.id;
  if (universe.installed.has(requested) || planned.has(requested)) return requested;
  if (universe.isAvailable(requested)) {
    if (query.mayInstall) return requested;
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
    if (candidates.includes(choice)) return choice;
    throw choiceDoesNotProvide(requested, choice, candidates);
  }
  const bound = query.bindings?.[requested];
  if (bound !== undefined && installed.some((app) => app.id === bound)) return bound;
  if (inPlan.length > 0) return inPlan.sort()[0]!;

  const active = installed.filter((app) => isActive(app.state)).map((app) => app.id);
  if (active.length === 1) return active[0]!;
  if (active.length > 1) throw ambiguousProvider(dependent.id, requested, active, 'active', query.retry);
  if (installed.length === 1) return installed[0]!.id;
  if (installed.length > 1) {
    const ids = installed.map((app) => app.id);
    throw ambiguousProvider(dependent.id, requested, ids, 'installed', query.retry);
  }

  const providesItself = dependent.provides.includes(requested);
  if (!query.mayInstall) {
    if (installable.length === 0 && providesItself) throw selfCycle(dependent.id, requested);
    throw noInstalledProvider(dependent.id, requested, installable);
  }
  if (installable.length === 1) return installable[0]!;
  if (installable.length > 1) {
    throw ambiguousProvider(dependent.id, requested, installable, 'available', query.retry);
  }
  if (providesItself) throw selfCycle(dependent.id, requested);
  throw noProvider(dependent.id, requested);
}

const selfCycle = (id: string, requested: string) =>
  dependencyCycle([id, id], `${id} needs '${requested}', which only ${id} provides`);
