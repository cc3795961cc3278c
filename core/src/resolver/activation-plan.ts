// Plans that bring an app up with everything it needs: `planInstall` for a new app, `planStart`
// for an installed one. One walk serves both: from the app, resolve each dependency to a provider,
// pick a version for providers that must be installed, check version ranges, and recurse into every
// provider that needs a step; then refuse conflicts among the apps that will run, and order the
// steps dependencies first.

import type { AppManifest, DependencySpec } from '../manifest/index.js';
import { needsStart, occupiesRuntime } from './app-state.js';
import { AppUniverse } from './app-universe.js';
import { isValidRange, newestSatisfying, satisfiesRange } from './app-version.js';
import { conflictsWith } from './conflicts.js';
import { dependencyOrder } from './graph-order.js';
import { assertOwnNames } from './interface-names.js';
import { decideProvider } from './provider-choice.js';
import {
  alreadyInstalled,
  chosenVersionOutOfRange,
  conflictsWithInstalled,
  conflictsWithinPlan,
  dependencyCycle,
  installedVersionOutOfRange,
  invalidRange,
  noVersionInRange,
} from './refusals.js';
import { describeDependency, linkBetween, uniqueLinks } from './resolved-dependency.js';
import type {
  ActivationPlan,
  AvailableApp,
  InstallPlan,
  InstalledApp,
  PlanStep,
  ProviderChoice,
  StartPlan,
} from './types.js';
import { notFound } from '../kernel/index.js';

export interface InstallRequest {
  /** The manifest of the version to install (the caller has already picked it). */
  target: AppManifest;
  /** Every app version that may be installed to satisfy a dependency. */
  available: readonly AvailableApp[];
  installed: readonly InstalledApp[];
  /** Interface → the app the user wants to provide it, e.g. `{ 'bitcoin-node': 'bitcoin-knots' }`. */
  choices?: Readonly<Record<string, string>>;
}

export interface StartRequest {
  id: string;
  installed: readonly InstalledApp[];
  /** Only to name what could be installed when a dependency is missing; starting installs nothing. */
  available?: readonly AvailableApp[];
  choices?: Readonly<Record<string, string>>;
}

export function planInstall(request: InstallRequest): InstallPlan {
  return walkInstall(request, false).plan;
}

/**
 * The install plan as far as it can be decided, and the provider choices on the way: those the
 * request's `choices` made among several candidates, and those still open. An open choice is not
 * refused here: the plan leaves out the provider (and what it would bring along) until it is made.
 * Every other refusal is planInstall's.
 */
export function planInstallWithChoices(request: InstallRequest): {
  plan: InstallPlan;
  choices: ProviderChoice[];
} {
  return walkInstall(request, true);
}

function walkInstall(
  request: InstallRequest,
  collectChoices: boolean,
): { plan: InstallPlan; choices: ProviderChoice[] } {
  const { target } = request;
  const existing = request.installed.find((app) => app.id === target.id);
  if (existing) throw alreadyInstalled(existing.id, existing.version);
  const universe = new AppUniverse(request.installed, request.available);
  assertOwnNames(target, universe);
  const walk = new ActivationWalk(universe, {
    choices: request.choices ?? {},
    mayInstall: true,
    retry: `archy install ${target.id}`,
    collectChoices,
  });
  const plan = walk.plan({
    id: target.id,
    manifest: target,
    version: target.version,
    install: true,
    reason: 'requested',
  });
  // The dependencies it installs come from the catalog, which is held to the same rule.
  for (const step of plan.steps) {
    const manifest =
      step.action === 'install' && step.id !== target.id && universe.availableManifest(step.id, step.version);
    if (manifest) assertOwnNames(manifest, universe);
  }
  return { plan, choices: walk.choices };
}

export function planStart(request: StartRequest): StartPlan {
  const app = request.installed.find((candidate) => candidate.id === request.id);
  if (!app) throw notFound(request.id);
  const walk = new ActivationWalk(new AppUniverse(request.installed, request.available), {
    choices: request.choices ?? {},
    mayInstall: false,
    retry: `archy start ${app.id}`,
    collectChoices: false,
  });
  return walk.plan({
    id: app.id,
    manifest: app.manifest,
    version: app.version,
    install: false,
    reason: 'requested',
  });
}

/** Each provider once, with the strongest requirement any of the app's dependencies puts on it. */
function waitFor(node: PlanNode): PlanStep['waitFor'] {
  const requirements = new Map<string, 'running' | 'healthy'>();
  for (const { spec, provider } of node.edges) {
    if (spec.requires === 'installed') continue;
    if (requirements.get(provider) !== 'healthy') requirements.set(provider, spec.requires);
  }
  return [...requirements].map(([id, requires]) => ({ id, requires }));
}

/** An app the plan touches. */
interface PlanNode {
  id: string;
  manifest: AppManifest;
  version: string;
  installed: InstalledApp | undefined;
  install: boolean;
  start: boolean;
  /** The first reason this app is in the plan; shown to the user. */
  reason: string;
  /** Whose dependency this app first became, for messages about its version. */
  firstDependent: string | undefined;
  /** How far its own dependencies have been walked: for installing it, or for running it. */
  walked: 'installed' | 'running' | undefined;
  edges: Array<{ spec: DependencySpec; provider: string }>;
}

interface WalkOptions {
  choices: Readonly<Record<string, string>>;
  mayInstall: boolean;
  retry: string;
  /** Report an ambiguous provider in `choices` and walk on without it, instead of refusing. */
  collectChoices: boolean;
}

class ActivationWalk {
  /** Provider choices met on the way, in the order met (see planInstallWithChoices). */
  readonly choices: ProviderChoice[] = [];
  private readonly nodes = new Map<string, PlanNode>();
  /** Apps whose dependencies are being walked, outermost first: a provider found here closes a cycle. */
  private readonly path: string[] = [];

  constructor(
    private readonly universe: AppUniverse,
    private readonly options: WalkOptions,
  ) {}

  plan(root: Pick<PlanNode, 'id' | 'manifest' | 'version' | 'install' | 'reason'>): ActivationPlan {
    const node: PlanNode = {
      ...root,
      installed: this.universe.installed.get(root.id),
      // The requested app always gets its start step, even when it looks up already: the
      // orchestrator's per-app queue knows best whether starting is a no-op.
      start: true,
      firstDependent: undefined,
      walked: undefined,
      edges: [],
    };
    this.nodes.set(node.id, node);
    this.walk(node, 'running');
    this.refuseConflicts();
    return this.result();
  }

  private walk(node: PlanNode, need: 'installed' | 'running'): void {
    if (need === 'running' && (node.installed === undefined || needsStart(node.installed.state))) {
      node.start = true;
    }
    if (!node.install && !node.start) return; // installed, and up if it has to be: nothing below it to do
    const level = node.start ? 'running' : 'installed';
    if (node.walked === 'running' || node.walked === level) return;
    node.walked = level;
    this.path.push(node.id);
    for (const spec of node.manifest.dependencies) {
      // A second walk (to run what was first only installed) keeps the providers the first chose.
      const resolved = node.edges.find((edge) => edge.spec.id === spec.id)?.provider;
      const provider = resolved === undefined ? this.providerFor(node, spec) : this.nodes.get(resolved)!;
      if (provider === undefined) continue; // an open choice (collectChoices): nothing to walk yet
      const cycleStart = this.path.indexOf(provider.id);
      if (cycleStart !== -1) throw dependencyCycle([...this.path.slice(cycleStart), provider.id]);
      if (resolved === undefined) node.edges.push({ spec, provider: provider.id });
      this.walk(provider, level === 'running' && spec.requires !== 'installed' ? 'running' : 'installed');
    }
    this.path.pop();
  }

  private providerFor(dependent: PlanNode, spec: DependencySpec): PlanNode | undefined {
    if (spec.version !== undefined && !isValidRange(spec.version)) {
      throw invalidRange(dependent.id, spec.id, spec.version);
    }
    const planned = new Map(
      [...this.nodes.values()].filter((node) => node.install).map((node) => [node.id, node.manifest]),
    );
    const decision = decideProvider({
      dependent: dependent.manifest,
      bindings: dependent.installed?.bindings,
      requested: spec.id,
      universe: this.universe,
      planned,
      choices: this.options.choices,
      mayInstall: this.options.mayInstall,
      retry: this.options.retry,
    });
    if ('undecided' in decision) {
      if (!this.options.collectChoices) throw decision.refusal;
      this.noteChoice({ interface: spec.id, dependent: dependent.id, candidates: decision.undecided });
      return undefined;
    }
    const id = decision.provider;
    if (decision.choseAmong) {
      this.noteChoice({
        interface: spec.id,
        dependent: dependent.id,
        candidates: decision.choseAmong,
        chosen: id,
      });
    }
    if (this.path.includes(id)) return this.nodes.get(id)!; // the caller reports the cycle
    const node = this.nodes.get(id) ?? this.newNode(id, dependent, spec);
    if (spec.version !== undefined && !satisfiesRange(node.version, spec.version)) {
      const edge = { dependent: dependent.id, requested: spec.id, range: spec.version, provider: id };
      if (node.installed) {
        const updateTo = newestSatisfying(this.universe.availableVersions(id), spec.version);
        throw installedVersionOutOfRange({ ...edge, installedVersion: node.version, updateTo });
      }
      throw chosenVersionOutOfRange({
        ...edge,
        chosenVersion: node.version,
        chosenFor: node.firstDependent!,
      });
    }
    return node;
  }

  /** Once per interface: the user chooses a provider per interface, not per dependent. */
  private noteChoice(choice: ProviderChoice): void {
    if (!this.choices.some((known) => known.interface === choice.interface)) this.choices.push(choice);
  }

  private newNode(id: string, dependent: PlanNode, spec: DependencySpec): PlanNode {
    const fresh = {
      id,
      start: false,
      reason: spec.id === id ? `needed by ${dependent.id}` : `provides ${spec.id} for ${dependent.id}`,
      firstDependent: dependent.id,
      walked: undefined,
      edges: [],
    };
    const installed = this.universe.installed.get(id);
    let node: PlanNode;
    if (installed) {
      node = {
        ...fresh,
        manifest: installed.manifest,
        version: installed.version,
        installed,
        install: false,
      };
    } else {
      // Newest version in range, so a fresh dependency starts out as current as the range allows.
      const versions = this.universe.availableVersions(id);
      const version = newestSatisfying(versions, spec.version);
      if (version === undefined) {
        const range = spec.version!;
        throw noVersionInRange({
          dependent: dependent.id,
          requested: spec.id,
          range,
          provider: id,
          available: versions,
        });
      }
      const manifest = this.universe.availableManifest(id, version)!;
      node = { ...fresh, manifest, version, installed: undefined, install: true };
    }
    this.nodes.set(id, node);
    return node;
  }

  /** Only apps the plan starts are checked: a conflict forbids running together, not being installed. */
  private refuseConflicts(): void {
    const starting = [...this.nodes.values()]
      .filter((node) => node.start)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const why = (node: PlanNode) => (node.reason === 'requested' ? undefined : node.reason);
    for (const node of starting) {
      for (const other of this.universe.installed.values()) {
        if (other.id === node.id || !occupiesRuntime(other.state)) continue;
        if (conflictsWith(node.manifest, other.manifest)) {
          throw conflictsWithInstalled(node.id, why(node), other.id, other.state);
        }
      }
    }
    starting.forEach((node, index) => {
      for (const other of starting.slice(index + 1)) {
        if (conflictsWith(node.manifest, other.manifest)) {
          throw conflictsWithinPlan({ id: node.id, why: node.reason }, { id: other.id, why: other.reason });
        }
      }
    });
  }

  private result(): ActivationPlan {
    const touched = [...this.nodes.values()].filter((node) => node.install || node.start);
    const byId = new Map(touched.map((node) => [node.id, node]));
    const { order } = dependencyOrder([...byId.keys()], (id) =>
      byId.get(id)!.edges.map((edge) => edge.provider),
    );
    const steps: PlanStep[] = [];
    for (const node of order.map((id) => byId.get(id)!)) {
      const base = { id: node.id, version: node.version, reason: node.reason };
      if (node.install) steps.push({ action: 'install', ...base, waitFor: [] });
      if (node.start) {
        steps.push({ action: 'start', ...base, waitFor: waitFor(node) });
      }
    }
    const providerOf = (id: string) => this.nodes.get(id)!;
    return {
      steps,
      links: uniqueLinks(
        touched.flatMap((node) =>
          node.edges.map((edge) => linkBetween(node.id, providerOf(edge.provider).manifest)),
        ),
      ),
      dependencies: Object.fromEntries(
        order.map((id) => [
          id,
          byId.get(id)!.edges.map((edge) => describeDependency(edge.spec, providerOf(edge.provider))),
        ]),
      ),
    };
  }
}
