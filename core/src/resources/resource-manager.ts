// The daemon's resource manager: reads the host, admits installs against the budget, and
// answers `resources` (capacity, budget, allocations, per-app usage).

import type { HostCapacity, ResourcesReport } from '../kernel/index.js';
import { admitInstall, assertAdmitted, totalMemoryClaim, type AppResources } from './admission.js';
import { memoryBudgetBytes, type ResourceBudget } from './budget.js';
import { DirSizeCache } from './dir-size.js';
import type { PodmanCgroupFacts } from './enforcement.js';
import { readHostCapacity } from './host-capacity.js';
import { readAppsUsage, type ContainerUsageReader, type ResourceApp } from './usage.js';

export type { ResourcesReport };

/**
 * The installed apps with their declared resources and container ids; the orchestrator
 * implements it. An app being installed should be listed from the moment its install is
 * accepted, so two installs in flight cannot both be admitted against the same headroom.
 */
export interface ResourceSource {
  list(): Promise<ResourceApp[]>;
}

export interface ResourceManagerOptions {
  source: ResourceSource;
  podman: ContainerUsageReader & { info(signal?: AbortSignal): Promise<PodmanCgroupFacts> };
  dataDir: string;
  budget: ResourceBudget;
  /** Shared with whoever else measures data dirs; one is made when not given. */
  dirSizes?: DirSizeCache;
  /** The /proc sampling window on hosts without cgroup stats. Default 250 ms. */
  windowMs?: number;
}

export class ResourceManager {
  readonly dirSizes: DirSizeCache;
  // Which limits the host enforces does not change while the daemon runs, and `podman info`
  // takes a second or more: ask once.
  private cgroupFacts: Promise<PodmanCgroupFacts> | undefined;

  constructor(private readonly options: ResourceManagerOptions) {
    this.dirSizes = options.dirSizes ?? new DirSizeCache();
  }

  get budget(): ResourceBudget {
    return this.options.budget;
  }

  /** The host now, with Podman's view of which limits it enforces. */
  async capacity(): Promise<HostCapacity> {
    return readHostCapacity({ dataDir: this.options.dataDir, podman: await this.podmanCgroupFacts() });
  }

  private podmanCgroupFacts(): Promise<PodmanCgroupFacts> {
    if (!this.cgroupFacts) {
      const asked = this.options.podman.info();
      this.cgroupFacts = asked;
      // A failed call (Podman restarting) is asked again next time.
      asked.catch(() => {
        if (this.cgroupFacts === asked) this.cgroupFacts = undefined;
      });
    }
    return this.cgroupFacts;
  }

  /**
   * Admission for installing (or updating to) `app`: returns warnings to show the user, or
   * throws an ArchyError (InsufficientResources) whose message has the numbers.
   */
  async admit(app: AppResources): Promise<string[]> {
    const [installed, capacity] = await Promise.all([this.options.source.list(), this.capacity()]);
    return assertAdmitted(admitInstall({ manifest: app, installed, capacity, budget: this.budget }));
  }

  async report(): Promise<ResourcesReport> {
    const { source, podman, dataDir, budget, windowMs } = this.options;
    const [apps, capacity] = await Promise.all([source.list(), this.capacity()]);
    const usage = await readAppsUsage(apps, { podman, dataDir, dirSizes: this.dirSizes, windowMs });
    return {
      capacity,
      budget: { ...budget, memoryBudgetBytes: memoryBudgetBytes(budget, capacity.memoryBytes) },
      allocated: {
        memoryBytes: totalMemoryClaim(apps),
        diskMinBytes: apps.reduce((sum, app) => sum + (app.resources.minDisk ?? 0), 0),
      },
      apps: usage,
    };
  }
}
