import { DATA_DIR_LABEL, TEST_RUN_LABEL } from './constants.js';
import { podman, podmanJson } from './podman-cli.js';

type Labels = Record<string, string> | null | undefined;
type Kind = 'containers' | 'pods' | 'networks' | 'secrets';

const isInside = (path: string | undefined, dir: string): boolean =>
  path !== undefined && (path === dir || path.startsWith(`${dir}/`));

/** What of one test run is in Podman: ids (names for networks) per kind. */
export type TestResources = Record<Kind, string[]>;

const LISTERS: Record<Kind, (ours: (labels: Labels) => boolean) => Promise<string[]>> = {
  containers: async (ours) =>
    (await podmanJson<{ Id: string; Labels: Labels }[]>(['ps', '-a', '--format', 'json']))
      .filter((c) => ours(c.Labels))
      .map((c) => c.Id),
  pods: async (ours) =>
    (await podmanJson<{ Id: string; Labels: Labels }[]>(['pod', 'ps', '--format', 'json']))
      .filter((p) => ours(p.Labels))
      .map((p) => p.Id),
  networks: async (ours) =>
    (await podmanJson<{ name: string; labels: Labels }[]>(['network', 'ls', '--format', 'json']))
      .filter((n) => ours(n.labels))
      .map((n) => n.name),
  secrets: async (ours) => {
    // 4.3's `secret ls` has no JSON output; inspect gives the labels.
    const ids = (await podman(['secret', 'ls', '--noheading', '--format', '{{.ID}}']))
      .split('\n')
      .filter(Boolean);
    // One at a time: another run may remove its secrets between our list and our inspect, and a
    // secret that is already gone is not ours to worry about.
    const found: string[] = [];
    for (const id of ids) {
      const inspected = await podmanJson<{ ID: string; Spec: { Labels: Labels } }[]>([
        'secret',
        'inspect',
        id,
      ]).catch((error: Error) => {
        if (/no such secret/.test(error.message)) return [];
        throw error;
      });
      found.push(...inspected.filter((s) => ours(s.Spec.Labels)).map((s) => s.ID));
    }
    return found;
  },
};

const REMOVERS: Record<Kind, (ids: string[]) => Promise<unknown>> = {
  // --depend: an app's Tor sidecar shares its main container's network namespace, and Podman
  // refuses to remove the main before it; --depend takes both, in order.
  containers: (ids) => podman(['rm', '--force', '--depend', '--time', '0', ...ids]),
  pods: (ids) => podman(['pod', 'rm', '--force', ...ids]),
  networks: (ids) => podman(['network', 'rm', '--force', ...ids]),
  secrets: (ids) =>
    podman(['secret', 'rm', ...ids]).catch((error: Error) => {
      if (!/no such secret/.test(error.message)) throw error;
    }),
};

/** Containers before pods (a pod's containers go with it anyway), networks and secrets last. */
const ORDER: Kind[] = ['containers', 'pods', 'networks', 'secrets'];

const ownedBy =
  (runId: string, testRoot: string) =>
  (labels: Labels): boolean =>
    labels?.[TEST_RUN_LABEL] === runId || isInside(labels?.[DATA_DIR_LABEL], testRoot);

/**
 * Everything of one test run in Podman: what is labelled with its run id, and what the daemon
 * labelled with a data dir under the run's temp root.
 */
export async function findTestResources(runId: string, testRoot: string): Promise<TestResources> {
  const ours = ownedBy(runId, testRoot);
  const found = {} as TestResources;
  for (const kind of ORDER) found[kind] = await LISTERS[kind](ours);
  return found;
}

/**
 * Removes every container, pod, network and secret of one test run (see findTestResources). Best
 * effort: a failure is reported, the rest still goes.
 */
export async function removeTestResources(runId: string, testRoot: string): Promise<string[]> {
  const ours = ownedBy(runId, testRoot);
  const problems: string[] = [];
  for (const kind of ORDER) {
    try {
      const ids = await LISTERS[kind](ours);
      if (ids.length) await REMOVERS[kind](ids);
    } catch (err) {
      problems.push(`${kind}: ${(err as Error).message}`);
    }
  }
  return problems;
}
