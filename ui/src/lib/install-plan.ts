import type {
  AppStatus,
  CatalogEntry,
  InstallPlanChoice,
  InstallPlanCredential,
  InstallPlanStep,
  InstallPlanView,
} from '@archipelago/core/contract';
import { displayVersion } from './versions';

// A preview of what installing an app brings along, from the catalog alone. The daemon plans the
// real install (versions, resources) and its refusal is what the modal shows when it says no.

export interface InstallPreview {
  /** Apps that will be installed first, to satisfy dependencies. */
  alsoInstalls: CatalogEntry[];
  /** Dependencies already satisfied by an installed app: [dependency, provider]. */
  satisfiedBy: Array<{ dependency: string; provider: string }>;
  /** Dependencies nothing in the catalog provides. */
  unavailable: string[];
  /** Installed apps this one never runs with, and what that means. */
  conflicts: Array<{ id: string; name: string; running: boolean }>;
}

function provides(entry: Pick<CatalogEntry, 'id' | 'provides'>, need: string): boolean {
  return entry.id === need || entry.provides.includes(need);
}

export function previewInstall(
  app: CatalogEntry,
  catalog: CatalogEntry[],
  installed: AppStatus[],
): InstallPreview {
  const preview: InstallPreview = { alsoInstalls: [], satisfiedBy: [], unavailable: [], conflicts: [] };
  const installedIds = new Set(installed.map((status) => status.id));
  const catalogById = new Map(catalog.map((entry) => [entry.id, entry]));
  const planned = new Set<string>();

  const visit = (entry: CatalogEntry, trail: Set<string>) => {
    for (const dependency of entry.dependencies) {
      const provider = installed.find((status) => {
        const known = catalogById.get(status.id);
        return status.id === dependency.id || (known !== undefined && provides(known, dependency.id));
      });
      if (provider) {
        preview.satisfiedBy.push({ dependency: dependency.id, provider: provider.id });
        continue;
      }
      const candidate =
        [...planned].map((id) => catalogById.get(id)!).find((planned) => provides(planned, dependency.id)) ??
        catalog.find((option) => option.id === dependency.id) ??
        catalog.find((option) => option.id !== app.id && provides(option, dependency.id));
      if (!candidate) {
        preview.unavailable.push(dependency.id);
        continue;
      }
      if (planned.has(candidate.id) || trail.has(candidate.id) || installedIds.has(candidate.id)) continue;
      planned.add(candidate.id);
      preview.alsoInstalls.push(candidate);
      visit(candidate, new Set([...trail, candidate.id]));
    }
  };
  visit(app, new Set([app.id]));

  for (const status of installed) {
    const other = catalogById.get(status.id);
    const conflicting = app.conflicts.includes(status.id) || (other?.conflicts.includes(app.id) ?? false);
    if (conflicting) {
      preview.conflicts.push({ id: status.id, name: status.name, running: status.state !== 'stopped' });
    }
  }
  return preview;
}

// ---- the daemon's plan (package.plan-install) ------------------------------------------------
// The install dialog asks the daemon for the real plan — every step, the choices still open, the
// logins dependents get — and refreshes it whenever a choice changes. The words for it are here.

/** Where the dialog's plan stands. */
export type PlanState =
  | { kind: 'loading' }
  | { kind: 'ready'; plan: InstallPlanView }
  /** The daemon refused the install as asked (a conflict, a wrong choice): its own words. */
  | { kind: 'refused'; message: string }
  /** A daemon without package.plan-install: the catalog preview above stands in. */
  | { kind: 'unsupported' };

const ACTION_WORDS: Record<InstallPlanStep['action'], string> = {
  install: 'Install',
  start: 'Start',
  restart: 'Restart',
};

/** `Install Bitcoin Knots 29.3 (2026-05-08)`. */
export function stepLabel(step: InstallPlanStep): string {
  return `${ACTION_WORDS[step.action]} ${step.name} ${displayVersion(step.version)}`;
}

/** Why a step is there, for a person: the daemon's reason with app ids turned to names. */
export function stepReason(step: InstallPlanStep, nameOf: (id: string) => string): string {
  if (step.why === 'requested') return 'the app you asked for';
  return step.why.replace(/\b[a-z0-9][a-z0-9-]*\b/g, (word) => {
    const name = nameOf(word);
    return name === word ? word : name;
  });
}

/** The question a provider choice asks. */
export function choiceQuestion(choice: InstallPlanChoice, nameOf: (id: string) => string): string {
  const dependent = nameOf(choice.dependent);
  if (choice.interface === 'bitcoin-node') return `Which Bitcoin node should ${dependent} use?`;
  if (choice.interface === 'lightning-node') return `Which Lightning node should ${dependent} use?`;
  return `Which app should provide ${choice.interface} for ${dependent}?`;
}

/** `LND gets its own login to Bitcoin Knots (limited to: getblock, getblockhash).` */
export function loginLine(credential: InstallPlanCredential, nameOf: (id: string) => string): string {
  const limited = credential.methods?.length ? ` (limited to: ${credential.methods.join(', ')})` : '';
  const what = credential.interface === 'bitcoin-node' ? 'RPC login' : 'credential';
  return `${nameOf(credential.dependent)} gets its own ${what} for ${nameOf(credential.provider)}${limited}.`;
}

/** The user's provider choices for the request: only those with an app picked, none at all as absent. */
export function providerChoices(picked: Record<string, string>): { choices?: Record<string, string> } {
  const given = Object.fromEntries(Object.entries(picked).filter(([, app]) => app !== ''));
  return Object.keys(given).length > 0 ? { choices: given } : {};
}
