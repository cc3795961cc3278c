// The resolver's inputs and outputs. Inputs are plain snapshots the orchestrator builds from its
// records and Podman's state; outputs are plans it applies. Nothing here does I/O.

import type { AppState } from '../kernel/index.js';
import type { AppManifest, DependencySpec } from '../manifest/index.js';

/** One installable version of an app: a bundled manifest or one version from the catalog. */
export interface AvailableApp {
  manifest: AppManifest;
}

/**
 * An app as it is installed now. Its health is deliberately not an input: it changes by the second,
 * so a plan says what to wait for (`PlanStep.waitFor`) and the orchestrator waits.
 */
export interface InstalledApp {
  id: string;
  version: string;
  manifest: AppManifest;
  state: AppState;
  /**
   * What each dependency resolved to when the app was installed (requested name → app id), as the
   * orchestrator stored it from the install plan. It keeps LND on the bitcoin node it was set up
   * with even after a second provider is installed; absent or stale entries are resolved afresh.
   */
  bindings?: Record<string, string>;
}

/** How far a dependency must be up before its dependent starts. */
export type DependencyRequirement = DependencySpec['requires'];

/**
 * What a dependent gets from one of its dependencies, as typed values rather than shell in a
 * manifest: where to reach it and how.
 */
export interface ResolvedDependency {
  /** What the dependent's manifest asked for: an app id or an interface such as `bitcoin-node`. */
  requested: string;
  /** The app that satisfies it. */
  appId: string;
  version: string;
  requires: DependencyRequirement;
  /**
   * The host name the dependent should use: the requested name, which the dependency answers to
   * on their shared network — so LND configured for `bitcoin-node` works with Core or Knots.
   */
  host: string;
  /** Ports the dependent may connect to; `rpc`/`p2p` come from the dependency's `bitcoin` section. */
  ports: { rpc?: number; p2p?: number };
  /** References to secrets (e.g. an RPC credential) the dependent is given; the security layer fills them. */
  secretRefs: string[];
}

/** Two apps that must share a network; all other pairs stay unable to reach each other. */
export interface NetworkLink {
  dependent: string;
  dependency: string;
  /** Host names the dependency answers to on that network: its id, then each interface it provides. */
  aliases: string[];
}

export interface PlanStep {
  /** `install` creates the app (it stays stopped); `start` starts an installed one. */
  action: 'install' | 'start';
  id: string;
  version: string;
  /** Why the step is there, for the user: "requested", "provides bitcoin-node for lnd". */
  reason: string;
  /** On `start`: the dependencies to wait for first, and how far up each must be. */
  waitFor: Array<{ id: string; requires: 'running' | 'healthy' }>;
}

/** What to do, in order (dependencies first), to install or start an app with what it needs. */
export interface ActivationPlan {
  steps: PlanStep[];
  /** Links every app the plan installs or starts needs; creating an existing one is a no-op. */
  links: NetworkLink[];
  /** For every app the plan installs or starts: what its dependencies resolved to. */
  dependencies: Record<string, ResolvedDependency[]>;
}
export type InstallPlan = ActivationPlan;
export type StartPlan = ActivationPlan;

/** An interface several apps could provide for a dependent, and the one the user chose, if any. */
export interface ProviderChoice {
  interface: string;
  dependent: string;
  /** App ids, sorted. */
  candidates: string[];
  chosen?: string;
}

export interface StopPlan {
  id: string;
  /** Running apps that need `id` and must stop before it, deepest dependents first. */
  stopFirst: string[];
}

export interface RemovePlan extends StopPlan {
  /** Installed dependents that will have nothing to satisfy this dependency once `id` is gone. */
  orphaned: Array<{ id: string; needs: string }>;
}

/** A dependency of an installed app that no installed app satisfies. */
export interface UnresolvedDependency {
  id: string;
  needs: string;
}

export interface BootOrder {
  /** Every installed app, dependencies first, by id among equals. */
  order: string[];
  /**
   * Dependency cycles among installed apps, each as a path that returns to its start
   * (`['a', 'b', 'a']`). Their members are still in `order`; don't wait on each other's health.
   */
  cycles: string[][];
  unresolved: UnresolvedDependency[];
}
