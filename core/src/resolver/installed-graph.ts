// The dependency graph among installed apps, as it stands: for boot order, network links and
// stop/remove checks. Unlike a plan, it never refuses — boot must go on with a broken graph — so
// where a plan would ask the user, it picks: the app's binding, else the app with the requested
// id, else an active provider, else the provider with the smallest id.

import type { DependencySpec } from '../manifest/index.js';
import { isActive } from './app-state.js';
import type { InstalledApp, UnresolvedDependency } from './types.js';

export interface InstalledEdge {
  dependent: string;
  dependency: string;
  spec: DependencySpec;
}

export interface InstalledGraph {
  apps: ReadonlyMap<string, InstalledApp>;
  edges: InstalledEdge[];
  unresolved: UnresolvedDependency[];
}

export function installedGraph(installed: readonly InstalledApp[]): InstalledGraph {
  const apps = new Map(installed.map((app) => [app.id, app]));
  const edges: InstalledEdge[] = [];
  const unresolved: UnresolvedDependency[] = [];
  for (const app of [...apps.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    for (const spec of app.manifest.dependencies) {
      const dependency = resolveAmongInstalled(app, spec.id, apps);
      if (dependency === undefined) unresolved.push({ id: app.id, needs: spec.id });
      else edges.push({ dependent: app.id, dependency, spec });
    }
  }
  return { apps, edges, unresolved };
}

/** `undefined` when no installed app serves `requested`; an app that alone serves itself is a self-edge. */
export function resolveAmongInstalled(
  app: InstalledApp,
  requested: string,
  apps: ReadonlyMap<string, InstalledApp>,
): string | undefined {
  if (apps.has(requested)) return requested;
  const providers = [...apps.values()]
    .filter((other) => other.id !== app.id && other.manifest.provides.includes(requested))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const bound = app.bindings?.[requested];
  const chosen =
    providers.find((provider) => provider.id === bound) ??
    providers.find((provider) => isActive(provider.state)) ??
    providers[0];
  if (chosen) return chosen.id;
  return app.manifest.provides.includes(requested) ? app.id : undefined;
}

/** Apps that need `id`, directly or through others, with the edges that lead there. */
export function dependentsClosure(
  graph: InstalledGraph,
  id: string,
  follows: (edge: InstalledEdge, depth: number) => boolean,
): Map<string, number> {
  /** Dependent → the length of the longest path from it down to `id`. */
  const depth = new Map<string, number>();
  const walk = (target: string, level: number, path: ReadonlySet<string>) => {
    for (const edge of graph.edges) {
      if (edge.dependency !== target || path.has(edge.dependent) || !follows(edge, level)) continue;
      if ((depth.get(edge.dependent) ?? 0) >= level + 1) continue;
      depth.set(edge.dependent, level + 1);
      walk(edge.dependent, level + 1, new Set([...path, edge.dependent]));
    }
  };
  walk(id, 0, new Set([id]));
  return depth;
}
