// What each installed app uses now: CPU and memory from Podman's cgroup stats where the host
// has them, else from the container's processes in /proc; disk from a walk of its data dir.

import type { AppUsage } from '../kernel/index.js';
import { DataLayout } from '../layout/index.js';
import type { ResourceSpec } from '../manifest/types.js';
import type { DirSize, DirSizeCache } from './dir-size.js';
import { sampleProcessTrees } from './proc-usage.js';

export type { AppUsage };

/** An installed app as the resource manager sees it. */
export interface ResourceApp {
  id: string;
  /** Podman's container id or name; absent while the app has no container. */
  containerId?: string;
  /** Every container of a multi-service app (the main's first); its usage is their sum. */
  containerIds?: string[];
  resources: ResourceSpec;
}

/**
 * The two Podman calls usage needs (PodmanClient has them), with only the fields usage reads:
 * resources/ does not depend on the Podman client's types.
 */
export interface ContainerUsageReader {
  containerStats(
    id: string,
    signal?: AbortSignal,
  ): Promise<{ cpuPercent: number; memUsage: number } | undefined>;
  inspectContainer(
    id: string,
    signal?: AbortSignal,
  ): Promise<{ State: { Running: boolean; Pid: number } } | undefined>;
}

export interface ReadUsageOptions {
  podman: ContainerUsageReader;
  /** The daemon's data dir: an app's data is in `<dataDir>/apps/<id>` (DataLayout). */
  dataDir: string;
  dirSizes: Pick<DirSizeCache, 'get'>;
  /** The /proc sampling window. Default 250 ms. */
  windowMs?: number;
  procRoot?: string;
}

type ProcessFigures = Pick<AppUsage, 'cpuPercent' | 'memoryBytes' | 'source'>;

export async function readAppsUsage(
  apps: readonly ResourceApp[],
  options: ReadUsageOptions,
): Promise<AppUsage[]> {
  const layout = new DataLayout(options.dataDir);
  const [figures, disks] = await Promise.all([
    readProcessFigures(apps, options),
    Promise.all(apps.map((app) => options.dirSizes.get(layout.appDataDir(app.id)))),
  ]);
  return apps.map((app, index) => usageOf(app, figures.get(app.id) ?? { source: 'proc' }, disks[index]!));
}

function usageOf(app: ResourceApp, figures: ProcessFigures, disk: DirSize): AppUsage {
  return {
    id: app.id,
    ...(figures.cpuPercent !== undefined && { cpuPercent: figures.cpuPercent }),
    ...(figures.memoryBytes !== undefined && { memoryBytes: figures.memoryBytes }),
    // The declared limit: on hosts that ignore limits Podman reports none, yet users want to
    // see what the app was given (and `enforcement` says whether the kernel holds it to it).
    ...(app.resources.memory !== undefined && { memoryLimitBytes: app.resources.memory }),
    diskBytes: disk.bytes,
    ...(disk.partial && { diskPartial: true }),
    source: figures.source,
  };
}

/** CPU and memory per app id, summed over its containers; apps without a running container get no figures. */
async function readProcessFigures(
  apps: readonly ResourceApp[],
  options: ReadUsageOptions,
): Promise<Map<string, ProcessFigures>> {
  const containers = apps.flatMap(({ id, containerId, containerIds }) =>
    (containerIds ?? (containerId === undefined ? [] : [containerId])).map((container) => ({
      id,
      containerId: container,
    })),
  );
  const perContainer: Array<ProcessFigures | undefined> = new Array(containers.length);
  const needProc: number[] = [];
  await Promise.all(
    containers.map(async ({ containerId }, index) => {
      const stats = await options.podman.containerStats(containerId).catch(() => undefined);
      if (stats)
        perContainer[index] = { cpuPercent: stats.cpuPercent, memoryBytes: stats.memUsage, source: 'cgroup' };
      else needProc.push(index);
    }),
  );
  if (needProc.length > 0) {
    // No cgroup stats (rootless cgroups v1, or the container is stopped): find each running
    // container's host pid and sum its process tree, all in one sampling window.
    const pids = await Promise.all(
      needProc.map(async (index) => {
        const inspect = await options.podman
          .inspectContainer(containers[index]!.containerId)
          .catch(() => undefined);
        return inspect?.State.Running ? inspect.State.Pid : 0;
      }),
    );
    const sampled = await sampleProcessTrees(pids, {
      windowMs: options.windowMs,
      procRoot: options.procRoot,
    });
    needProc.forEach((containerIndex, index) => {
      const usage = sampled.get(pids[index]!);
      perContainer[containerIndex] = usage ? { ...usage, source: 'proc' } : { source: 'proc' };
    });
  }
  const figures = new Map<string, ProcessFigures>();
  containers.forEach(({ id }, index) => {
    const one = perContainer[index]!;
    const sum = figures.get(id);
    figures.set(id, sum ? addFigures(sum, one) : one);
  });
  return figures;
}

/** Two containers' figures as one app's: a figure only one has still counts; proc if either is. */
function addFigures(a: ProcessFigures, b: ProcessFigures): ProcessFigures {
  const add = (x: number | undefined, y: number | undefined) =>
    x === undefined ? y : y === undefined ? x : x + y;
  const cpuPercent = add(a.cpuPercent, b.cpuPercent);
  const memoryBytes = add(a.memoryBytes, b.memoryBytes);
  return {
    ...(cpuPercent !== undefined && { cpuPercent }),
    ...(memoryBytes !== undefined && { memoryBytes }),
    source: a.source === 'cgroup' && b.source === 'cgroup' ? 'cgroup' : 'proc',
  };
}
