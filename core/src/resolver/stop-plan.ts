// Stopping or removing an app its dependents still run on. Refused unless the user cascades; then
// the plan lists the dependents to stop first, deepest first (rtl before the lnd it needs, lnd
// before bitcoin-core), so each app stops while what it needs is still up.
//
// Stopping follows only dependencies that must be up (`running`/`healthy`): an app that merely
// needs its dependency installed keeps running. Removing also takes away what `installed` needs,
// so the app's direct dependents of any kind stop too. Removal is not refused for dependents that
// are already stopped: they are reported as orphaned (unless another installed app can take over)
// and their next start is refused until something provides what they need.

import { notFound } from '../kernel/index.js';
import { isActive } from './app-state.js';
import {
  dependentsClosure,
  installedGraph,
  resolveAmongInstalled,
  type InstalledGraph,
} from './installed-graph.js';
import { runningDependents } from './refusals.js';
import type { InstalledApp, RemovePlan, StopPlan } from './types.js';

export interface StopRequest {
  id: string;
  installed: readonly InstalledApp[];
  /** Stop running dependents first instead of refusing. */
  cascade?: boolean;
}

export function planStop(request: StopRequest): StopPlan {
  const graph = graphWith(request);
  const depth = dependentsClosure(
    graph,
    request.id,
    (edge) => edge.spec.requires !== 'installed' && isActive(graph.apps.get(edge.dependent)!.state),
  );
  return { id: request.id, stopFirst: stopFirst('stop', request, depth) };
}

export function planRemove(request: StopRequest): RemovePlan {
  const graph = graphWith(request);
  const depth = dependentsClosure(
    graph,
    request.id,
    (edge, level) =>
      (level === 0 || edge.spec.requires !== 'installed') && isActive(graph.apps.get(edge.dependent)!.state),
  );
  const remaining = new Map([...graph.apps].filter(([id]) => id !== request.id));
  const orphaned = graph.edges
    .filter((edge) => edge.dependency === request.id && edge.dependent !== request.id)
    .filter(
      (edge) => resolveAmongInstalled(remaining.get(edge.dependent)!, edge.spec.id, remaining) === undefined,
    )
    .map((edge) => ({ id: edge.dependent, needs: edge.spec.id }));
  return { id: request.id, stopFirst: stopFirst('remove', request, depth), orphaned };
}

function graphWith(request: StopRequest): InstalledGraph {
  const graph = installedGraph(request.installed);
  if (!graph.apps.has(request.id)) throw notFound(request.id);
  return graph;
}

function stopFirst(action: 'stop' | 'remove', request: StopRequest, depth: Map<string, number>): string[] {
  if (depth.size > 0 && !request.cascade)
    throw runningDependents(action, request.id, [...depth.keys()].sort());
  return [...depth].sort(([a, da], [b, db]) => db - da || (a < b ? -1 : 1)).map(([id]) => id);
}
