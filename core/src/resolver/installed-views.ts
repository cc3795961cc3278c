// Read-only views over the installed apps' dependency graph: boot order, network links with the
// values each dependent receives, dependents of an app, and whether a version change would break
// one of them.

import { satisfiesRange } from './app-version.js';
import { dependencyOrder } from './graph-order.js';
import { installedGraph } from './installed-graph.js';
import { versionBreaksDependent } from './refusals.js';
import { describeDependency, linkBetween, uniqueLinks } from './resolved-dependency.js';
import type {
  BootOrder,
  InstalledApp,
  NetworkLink,
  ResolvedDependency,
  UnresolvedDependency,
} from './types.js';

/**
 * The order to start installed apps at boot. Never throws: cycles and missing dependencies are
 * reported for the daemon to log, and every app is still in `order`.
 */
export function bootOrder(installed: readonly InstalledApp[]): BootOrder {
  const graph = installedGraph(installed);
  const { order, cycles } = dependencyOrder([...graph.apps.keys()], (id) =>
    graph.edges.filter((edge) => edge.dependent === id).map((edge) => edge.dependency),
  );
  return { order, cycles, unresolved: graph.unresolved };
}

export interface InstalledLinks {
  /** Pairs that must share a network; apps in no pair stay unreachable from each other. */
  links: NetworkLink[];
  /** Per dependent, what each of its dependencies resolved to. */
  dependencies: Record<string, ResolvedDependency[]>;
  unresolved: UnresolvedDependency[];
}

export function dependencyLinks(installed: readonly InstalledApp[]): InstalledLinks {
  const graph = installedGraph(installed);
  const dependencies: Record<string, ResolvedDependency[]> = {};
  const links: NetworkLink[] = [];
  for (const edge of graph.edges) {
    if (edge.dependent === edge.dependency) continue; // a self-dependency needs no network
    const provider = graph.apps.get(edge.dependency)!;
    (dependencies[edge.dependent] ??= []).push(describeDependency(edge.spec, provider));
    links.push(linkBetween(edge.dependent, provider.manifest));
  }
  return { links: uniqueLinks(links), dependencies, unresolved: graph.unresolved };
}

export interface Dependents {
  /** Apps with a dependency on the app itself, by id. */
  direct: string[];
  /** Those and everything that depends on them in turn, by id. */
  all: string[];
}

export function dependentsOf(id: string, installed: readonly InstalledApp[]): Dependents {
  const graph = installedGraph(installed);
  const dependentsOfOne = (target: string) =>
    graph.edges
      .filter((edge) => edge.dependency === target && edge.dependent !== id)
      .map((edge) => edge.dependent);
  const direct = [...new Set(dependentsOfOne(id))].sort();
  const all = new Set<string>();
  const queue = [...direct];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (all.has(next)) continue;
    all.add(next);
    queue.push(...dependentsOfOne(next));
  }
  return { direct, all: [...all].sort() };
}

/** Refuses moving `id` to `version` when an installed dependent's version range excludes it. */
export function checkVersionChange(id: string, version: string, installed: readonly InstalledApp[]): void {
  const graph = installedGraph(installed);
  for (const edge of graph.edges) {
    const range = edge.spec.version;
    if (edge.dependency !== id || edge.dependent === id || range === undefined) continue;
    if (!satisfiesRange(version, range)) {
      throw versionBreaksDependent({
        id,
        version,
        dependent: edge.dependent,
        requested: edge.spec.id,
        range,
      });
    }
  }
}
