// Ordering a dependency graph that may contain cycles. Generic over app ids: the planners build
// the edges, this module only orders them. Deterministic — among apps whose order the graph
// leaves open, ids sort alphabetically — so boot logs and plans don't shuffle between runs.

/** For each node, the nodes it depends on. Edges to nodes outside `nodes` are ignored. */
export type DependsOn = (id: string) => readonly string[];

export interface DependencyOrder {
  /** Every node, dependencies before dependents; members of a cycle together, by id. */
  order: string[];
  /** Each cycle as a path back to its start, e.g. ['a', 'b', 'a'], starting at its smallest id. */
  cycles: string[][];
}

export function dependencyOrder(nodes: readonly string[], dependsOn: DependsOn): DependencyOrder {
  const members = new Set(nodes);
  const edgesOf = (id: string) => [...new Set(dependsOn(id))].filter((dep) => members.has(dep)).sort();
  const components = stronglyConnectedComponents([...members].sort(), edgesOf);

  const componentOf = new Map<string, number>();
  components.forEach((component, index) => component.forEach((id) => componentOf.set(id, index)));
  const dependenciesOf = components.map(
    (component, index) =>
      new Set(
        component
          .flatMap(edgesOf)
          .map((dep) => componentOf.get(dep)!)
          .filter((dep) => dep !== index),
      ),
  );
  // Kahn's algorithm over the components, always taking the ready one with the smallest id.
  const done = new Set<number>();
  const order: string[] = [];
  while (done.size < components.length) {
    let next = -1;
    components.forEach((component, index) => {
      if (done.has(index) || ![...dependenciesOf[index]!].every((dep) => done.has(dep))) return;
      if (next === -1 || component[0]! < components[next]![0]!) next = index;
    });
    done.add(next);
    order.push(...components[next]!);
  }

  const cycles = components
    .filter((component) => component.length > 1 || edgesOf(component[0]!).includes(component[0]!))
    .map((component) => shortestCycleThrough(component[0]!, new Set(component), edgesOf))
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return { order, cycles };
}

/** Tarjan's algorithm; each component's ids sorted. Graphs here are tens of apps: recursion is fine. */
function stronglyConnectedComponents(nodes: readonly string[], edgesOf: DependsOn): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];

  const visit = (id: string) => {
    index.set(id, index.size);
    lowLink.set(id, index.get(id)!);
    stack.push(id);
    onStack.add(id);
    for (const dep of edgesOf(id)) {
      if (!index.has(dep)) {
        visit(dep);
        lowLink.set(id, Math.min(lowLink.get(id)!, lowLink.get(dep)!));
      } else if (onStack.has(dep)) {
        lowLink.set(id, Math.min(lowLink.get(id)!, index.get(dep)!));
      }
    }
    if (lowLink.get(id) !== index.get(id)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== id);
    components.push(component.sort());
  };
  for (const id of nodes) if (!index.has(id)) visit(id);
  return components;
}

/** Breadth-first from `start` inside its component, so the reported cycle is a shortest one. */
function shortestCycleThrough(start: string, component: Set<string>, edgesOf: DependsOn): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head += 1) {
    const id = queue[head]!;
    for (const dep of edgesOf(id)) {
      if (dep === start) {
        const path = [start];
        for (let at: string | undefined = id; at !== start && at !== undefined; at = cameFrom.get(at)) {
          path.splice(1, 0, at);
        }
        return [...path, start];
      }
      if (component.has(dep) && !cameFrom.has(dep)) {
        cameFrom.set(dep, id);
        queue.push(dep);
      }
    }
  }
  return [start, start];
}
