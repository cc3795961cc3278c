// The install plan as the user sees it before anything happens: the plan's steps with names and
// reasons, the provider choices (open ones make it not ready), the logins dependents get, and the
// restarts those logins cause. Pure: the orchestrator hands in the same snapshot the install uses.

import type { InstallPlanCredential, InstallPlanStep, InstallPlanView } from '../kernel/index.js';
import type { AppManifest, DependencySpec } from '../manifest/index.js';
import { planInstallWithChoices, type InstallRequest } from './activation-plan.js';
import { isActive } from './app-state.js';
import { dependentsOf } from './installed-views.js';
import type { InstallPlan } from './types.js';
import { appGrants } from './app-grants.js';

/**
 * Interfaces whose dependents get a login to the provider: a Bitcoin node gives each dependent its
 * own RPC user; a Lightning node hands its access credential (macaroon, rune) to its dependents.
 */
const CREDENTIAL_INTERFACES = ['bitcoin-node', 'lightning-node'] as const;
/** bitcoind reads its RPC logins (`-rpcauth`) only at start: a new one means a restart. */
const LOGIN_NEEDS_RESTART = 'bitcoin-node';

export interface InstallPlanViewRequest extends InstallRequest {
  /** The version the install runs when it is not the target manifest's (a catalog version). */
  version?: string;
  /** The target is a bundled manifest (its digest pins run unsigned); default false. */
  bundled?: boolean;
}

export function installPlanView(request: InstallPlanViewRequest): InstallPlanView {
  const { plan, choices } = planInstallWithChoices(request);
  const manifests = manifestsById(request);
  const nameOf = (id: string) => manifests.get(id)?.name ?? id;
  const target = request.target;
  const versionOf = (id: string, version: string) =>
    id === target.id && request.version !== undefined ? request.version : version;

  const credentials = credentialsOf(plan, manifests);
  const startedByPlan = new Set(plan.steps.filter((step) => step.action === 'start').map((step) => step.id));
  const restarts = restartsFor(credentials, request, startedByPlan);
  const steps: InstallPlanStep[] = [];
  for (const step of plan.steps) {
    const version = versionOf(step.id, step.version);
    steps.push({ app: step.id, name: nameOf(step.id), version, action: step.action, why: step.reason });
    if (step.action !== 'install') continue;
    for (const restart of restarts.get(step.id) ?? []) {
      steps.push({ ...restart, name: nameOf(restart.app) });
    }
  }
  return {
    id: target.id,
    steps,
    choices: choices.map((choice) => ({
      interface: choice.interface,
      dependent: choice.dependent,
      candidates: choice.candidates.map((id) => ({ id, name: nameOf(id) })),
      ...(choice.chosen !== undefined && { chosen: choice.chosen }),
    })),
    credentials,
    ready: choices.every((choice) => choice.chosen !== undefined),
    grants: appGrants({
      manifest: target,
      dependencies: plan.dependencies[target.id] ?? [],
      manifestOf: (id) => manifests.get(id),
      bundled: request.bundled ?? false,
    }),
  };
}

/** Every manifest the plan may name: the target, the installed apps, the newest of each available. */
function manifestsById(request: InstallPlanViewRequest): Map<string, AppManifest> {
  const byId = new Map<string, AppManifest>();
  for (const { manifest } of request.available) if (!byId.has(manifest.id)) byId.set(manifest.id, manifest);
  for (const app of request.installed) byId.set(app.id, app.manifest);
  byId.set(request.target.id, request.target);
  return byId;
}

/** The logins the apps this plan installs get; apps already installed have theirs. */
function credentialsOf(
  plan: InstallPlan,
  manifests: ReadonlyMap<string, AppManifest>,
): InstallPlanCredential[] {
  const credentials: InstallPlanCredential[] = [];
  for (const step of plan.steps.filter((s) => s.action === 'install')) {
    const dependent = manifests.get(step.id);
    for (const dependency of plan.dependencies[step.id] ?? []) {
      const provider = manifests.get(dependency.appId);
      const spec = dependent?.dependencies.find((d) => d.id === dependency.requested);
      const kind = provider && credentialInterface(dependency.requested, provider);
      if (!kind || !spec) continue;
      const methods = kind === 'bitcoin-node' ? rpcMethodsOf(spec) : undefined;
      credentials.push({
        dependent: step.id,
        provider: dependency.appId,
        interface: kind,
        ...(methods && { methods }),
      });
    }
  }
  return credentials;
}

/** The credential interface a dependency reaches: the one asked for, or (asked by app id) one the provider offers. */
function credentialInterface(requested: string, provider: AppManifest): string | undefined {
  const offered = CREDENTIAL_INTERFACES.filter((name) => provider.provides.includes(name));
  return offered.find((name) => name === requested) ?? (requested === provider.id ? offered[0] : undefined);
}

/**
 * A dependency's `rpcMethods` (the Bitcoin RPC methods it is limited to, -rpcwhitelist). Read
 * defensively: the manifest schema gains the key in the credentials work of issue 15; before that
 * no dependency carries it and every dependent's login may call any method.
 */
function rpcMethodsOf(spec: DependencySpec): string[] | undefined {
  const methods = (spec as DependencySpec & { rpcMethods?: unknown }).rpcMethods;
  if (!Array.isArray(methods) || !methods.every((method) => typeof method === 'string')) return undefined;
  return methods.length > 0 ? [...methods] : undefined;
}

/**
 * Per app being installed: the restarts its new Bitcoin RPC login causes. A provider running now
 * restarts to read it, and so do its running dependents (they lose their connection meanwhile). So
 * does an installed provider this plan starts: a start keeps its container, made with the logins
 * it had. A provider this plan installs is made after every app of the plan is reserved, with
 * their logins, and restarts for none.
 */
function restartsFor(
  credentials: readonly InstallPlanCredential[],
  request: InstallPlanViewRequest,
  startedByPlan: ReadonlySet<string>,
): Map<string, Array<Omit<InstallPlanStep, 'name'>>> {
  const restarts = new Map<string, Array<Omit<InstallPlanStep, 'name'>>>();
  const restarted = new Set<string>();
  for (const credential of credentials) {
    if (credential.interface !== LOGIN_NEEDS_RESTART) continue;
    const provider = request.installed.find((app) => app.id === credential.provider);
    if (!provider || restarted.has(provider.id)) continue;
    if (!isActive(provider.state) && !startedByPlan.has(provider.id)) continue;
    restarted.add(provider.id);
    const list = restarts.get(credential.dependent) ?? [];
    list.push({
      app: provider.id,
      version: provider.version,
      action: 'restart',
      why: `learns ${credential.dependent}'s RPC login (${provider.id} reads logins only at start)`,
    });
    for (const id of dependentsOf(provider.id, request.installed).direct) {
      const dependent = request.installed.find((app) => app.id === id)!;
      if (!isActive(dependent.state) || restarted.has(id)) continue;
      restarted.add(id);
      list.push({
        app: id,
        version: dependent.version,
        action: 'restart',
        why: `uses ${provider.id}, which restarts`,
      });
    }
    restarts.set(credential.dependent, list);
  }
  return restarts;
}
