import { DATA_DIR_LABEL, TEST_RUN_LABEL } from './constants.js';
import { podman, podmanJson } from './podman-cli.js';

type Labels = Record<string, string> | null | undefined;

/**
 * Removes every container, pod, network and secret of one test run: those labelled with its run
 * id, and those the daemon labelled with a data dir under the run's temp root. Best effort: a
 * failure is reported, the rest still goes.
 */
export async function removeTestResources(runId: string, testRoot: string): Promise<string[]> {
  const ours = (labels: Labels): boolean =>
    labels?.[TEST_RUN_LABEL] === runId || (labels?.[DATA_DIR_LABEL]?.startsWith(testRoot) ?? false);
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };

  await attempt('containers', async () => {
    const list = await podmanJson<{ Id: string; Labels: Labels }[]>(['ps', '-a', '--format', 'json']);
    const ids = list.filter((c) => ours(c.Labels)).map((c) => c.Id);
    if (ids.length) await podman(['rm', '--force', '--time', '0', ...ids]);
  });
  await attempt('pods', async () => {
    const list = await podmanJson<{ Id: string; Labels: Labels }[]>(['pod', 'ps', '--format', 'json']);
    const ids = list.filter((p) => ours(p.Labels)).map((p) => p.Id);
    if (ids.length) await podman(['pod', 'rm', '--force', ...ids]);
  });
  await attempt('networks', async () => {
    const list = await podmanJson<{ name: string; labels: Labels }[]>(['network', 'ls', '--format', 'json']);
    const names = list.filter((n) => ours(n.labels)).map((n) => n.name);
    if (names.length) await podman(['network', 'rm', '--force', ...names]);
  });
  await attempt('secrets', async () => {
    // 4.3's `secret ls` has no JSON output; inspect gives the labels.
    const ids = (await podman(['secret', 'ls', '--noheading', '--format', '{{.ID}}']))
      .split('\n')
      .filter(Boolean);
    // One at a time: another run may remove its secrets between our list and our inspect, and a
    // secret that is already gone is not a problem for a cleanup.
    const ours_: string[] = [];
    for (const id of ids) {
      const found = await podmanJson<{ ID: string; Spec: { Labels: Labels } }[]>([
        'secret',
        'inspect',
        id,
      ]).catch((error: Error) => {
        if (/no such secret/.test(error.message)) return [];
        throw error;
      });
      ours_.push(...found.filter((s) => ours(s.Spec.Labels)).map((s) => s.ID));
    }
    if (ours_.length)
      await podman(['secret', 'rm', ...ours_]).catch((error: Error) => {
        if (!/no such secret/.test(error.message)) throw error;
      });
  });
  return problems;
}
