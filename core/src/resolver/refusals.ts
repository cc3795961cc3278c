// Every refusal the resolver makes, worded in one place so they read alike: what is wrong, naming
// the apps, then what the user can do about it. `data` carries the same facts for the UI (e.g.
// the candidates to offer as a choice).

import { ArchyError, RpcErrorCode, type AppState } from '../kernel/index.js';

const list = (ids: readonly string[]) => ids.join(', ');

/** `a → b → c → a`; `detail` explains a cycle that isn't visible from the ids alone. */
export const dependencyCycle = (path: readonly string[], detail?: string): ArchyError =>
  new ArchyError(
    RpcErrorCode.Conflict,
    `dependency cycle: ${path.join(' → ')}${detail ? ` (${detail})` : ''}; ` +
      'none of these apps can start before the others, so one of their manifests must drop that dependency',
    { data: { cycle: path } },
  );

/** `provides` names an app id: the app would answer for that app on a shared network. */
export const providesAppId = (app: string, name: string, where: 'installed' | 'available'): ArchyError =>
  new ArchyError(
    RpcErrorCode.InvalidManifest,
    `'${app}' provides '${name}', which is the id of ${where === 'installed' ? 'an installed app' : 'an app in the catalog'}; ` +
      `an app may provide interfaces, never another app's id (it would answer for '${name}'): remove '${name}' from its provides`,
    { data: { app, provides: name } },
  );

/** A new app's id is an interface installed apps provide: both would answer to that name. */
export const idIsProvided = (app: string, providers: readonly string[]): ArchyError =>
  new ArchyError(
    RpcErrorCode.Conflict,
    `'${app}' is an interface that ${list(providers)} provide${providers.length === 1 ? 's' : ''}, so no app may take it as its id; ` +
      'give this app another id',
    { data: { app, providers } },
  );

export const noProvider = (dependent: string, requested: string): ArchyError =>
  new ArchyError(
    RpcErrorCode.NotFound,
    `no app provides '${requested}' (needed by ${dependent}); ` +
      "install an app that provides it from its manifest with 'archy install path/to/manifest.yml'",
    { data: { dependent, requested } },
  );

/** Starting never installs: the missing dependency has to be installed by the user first. */
export const noInstalledProvider = (
  dependent: string,
  requested: string,
  installable: readonly string[],
): ArchyError => {
  if (installable.length === 0) return noProvider(dependent, requested);
  const wayOut =
    installable.length === 1
      ? `install it first with 'archy install ${installable[0]}'`
      : `install one of: ${list(installable)} first ('archy install <id>')`;
  return new ArchyError(
    RpcErrorCode.NotFound,
    `${dependent} needs '${requested}' but no installed app provides it; ${wayOut}`,
    { data: { dependent, requested, candidates: installable } },
  );
};

/**
 * Several apps could serve: we don't guess. An install names the exact commands that choose
 * (`--with`, or the UI's choice); a start, which installs nothing, names the commands that make
 * one the preferred provider (starting or stopping one).
 */
export const ambiguousProvider = (
  dependent: string,
  requested: string,
  candidates: readonly string[],
  among: 'available' | 'installed' | 'active',
  retry: string,
): ArchyError => {
  const situations = {
    available: `${dependent} needs '${requested}', which several apps provide: ${list(candidates)}`,
    installed: `${dependent} needs '${requested}' and several installed apps provide it: ${list(candidates)}`,
    active: `${dependent} needs '${requested}' and several running apps provide it: ${list(candidates)}`,
  };
  const startWays = {
    available: `install one of: ${list(candidates)} first ('archy install <id>'), then run '${retry}' again`,
    installed: `start the one ${dependent} should use ('archy start <id>'), then run '${retry}' again`,
    active: `stop the ones ${dependent} should not use ('archy stop <id>'), then run '${retry}' again`,
  };
  const wayOut = retry.startsWith('archy install ')
    ? `choose one: ${candidates.map((id) => `'${retry} --with ${requested}=${id}'`).join(' or ')}`
    : startWays[among];
  return new ArchyError(RpcErrorCode.Conflict, `${situations[among]}; ${wayOut}`, {
    data: { dependent, requested, candidates },
  });
};

export const choiceDoesNotProvide = (
  requested: string,
  choice: string,
  candidates: readonly string[],
): ArchyError =>
  new ArchyError(
    RpcErrorCode.NotFound,
    `'${choice}' does not provide '${requested}'` +
      (candidates.length > 0 ? `; choose one of: ${list(candidates)}` : `, and no other app does`),
    { data: { requested, choice, candidates } },
  );

export const invalidRange = (dependent: string, requested: string, range: string): ArchyError =>
  new ArchyError(
    RpcErrorCode.InvalidManifest,
    `${dependent}'s manifest asks for ${requested} version '${range}', which is not a version range ` +
      `(write one like '>=28.0'); fix the manifest`,
  );

export const installedVersionOutOfRange = (edge: {
  dependent: string;
  requested: string;
  range: string;
  provider: string;
  installedVersion: string;
  /** The newest available version that is in range, if any. */
  updateTo: string | undefined;
}): ArchyError =>
  new ArchyError(
    RpcErrorCode.Conflict,
    `${edge.dependent} needs ${edge.requested} ${edge.range} but ${edge.provider} ${edge.installedVersion} is installed; ` +
      (edge.updateTo === undefined
        ? `no available version of ${edge.provider} satisfies ${edge.range}`
        : `update it first with 'archy set-version ${edge.provider} ${edge.updateTo}'`),
    { data: edge },
  );

export const noVersionInRange = (edge: {
  dependent: string;
  requested: string;
  range: string;
  provider: string;
  available: readonly string[];
}): ArchyError =>
  new ArchyError(
    RpcErrorCode.NotFound,
    `${edge.dependent} needs ${edge.requested} ${edge.range} but no available version of ${edge.provider} ` +
      `satisfies it (available: ${list(edge.available)})`,
    { data: edge },
  );

export const chosenVersionOutOfRange = (edge: {
  dependent: string;
  requested: string;
  range: string;
  provider: string;
  chosenVersion: string;
  chosenFor: string;
}): ArchyError =>
  new ArchyError(
    RpcErrorCode.Conflict,
    `${edge.dependent} needs ${edge.requested} ${edge.range} but ${edge.provider} ${edge.chosenVersion} ` +
      `was chosen for ${edge.chosenFor}; install ${edge.provider} in a version both accept first ` +
      `('archy install ${edge.provider} --version <v>')`,
    { data: edge },
  );

const STATE_WORDS: Partial<Record<AppState, string>> = {
  unhealthy: 'running (unhealthy)',
  installing: 'being installed',
  updating: 'being updated',
  'crash-loop': 'in a crash loop',
};

/** `app` is about to start while `other`, which it conflicts with, is up. */
export const conflictsWithInstalled = (
  app: string,
  why: string | undefined,
  other: string,
  otherState: AppState,
): ArchyError =>
  new ArchyError(
    RpcErrorCode.Conflict,
    `${app}${why ? ` (${why})` : ''} conflicts with ${other}, which is ${STATE_WORDS[otherState] ?? otherState}: ` +
      (otherState === 'stopping'
        ? `wait until ${other} has stopped`
        : `stop ${other} first ('archy stop ${other}')`),
    { data: { app, other, otherState } },
  );

export const conflictsWithinPlan = (
  a: { id: string; why: string },
  b: { id: string; why: string },
): ArchyError =>
  new ArchyError(
    RpcErrorCode.Conflict,
    `${a.id} (${a.why}) and ${b.id} (${b.why}) conflict and cannot run together, ` +
      `so these apps cannot be installed together`,
    { data: { apps: [a.id, b.id] } },
  );

export const alreadyInstalled = (id: string, version: string): ArchyError =>
  new ArchyError(
    RpcErrorCode.Conflict,
    `'${id}' is already installed (version ${version}); start it with 'archy start ${id}' ` +
      `or change its version with 'archy set-version ${id} <version>'`,
  );

export const runningDependents = (action: 'stop' | 'remove', id: string, dependents: readonly string[]) =>
  new ArchyError(
    RpcErrorCode.Conflict,
    `cannot ${action} ${id} while apps that need it are running: ${list(dependents)}; ` +
      `stop them first, or run 'archy ${action} ${id} --cascade' to stop them too`,
    { data: { id, dependents } },
  );

export const versionBreaksDependent = (change: {
  id: string;
  version: string;
  dependent: string;
  requested: string;
  range: string;
}): ArchyError =>
  new ArchyError(
    RpcErrorCode.Conflict,
    `${change.id} ${change.version} would not satisfy ${change.dependent}, which needs ` +
      `${change.requested} ${change.range}; choose a version in that range, or remove ${change.dependent} first`,
    { data: change },
  );
