// What the host has to give and what installed apps use: the resources layer measures it, the
// admission check and `archy resources` / the UI read it.

/**
 * Which resource limits the kernel enforces for our containers. Rootless Podman on cgroup v1
 * accepts limits and ignores them; on cgroup v2 it needs each controller delegated to its user.
 */
export interface LimitEnforcement {
  cgroupVersion: 'v1' | 'v2';
  memory: boolean;
  cpu: boolean;
  pids: boolean;
  /** Why some limit is not enforced and how to fix it; absent when all are. */
  reason?: string;
}

/** What the host has to give. Sizes in bytes. */
export interface HostCapacity {
  memoryBytes: number;
  memoryAvailableBytes: number;
  cpus: number;
  /** The file system holding the data dir. `freeBytes` is what an unprivileged user may use. */
  disk: { path: string; freeBytes: number; totalBytes: number };
  enforcement: LimitEnforcement;
}

/** How much of the host installs may claim. */
export interface ResourceBudget {
  /** Share of RAM (0-1] that apps' memory reservations may add up to. */
  memoryShare: number;
  /** Free disk (bytes) an install must leave untouched. */
  diskReserveBytes: number;
}

/** One app's current use. CPU in percent of one CPU (200 = two CPUs busy), sizes in bytes. */
export interface AppUsage {
  id: string;
  /** Absent when the app is not running. */
  cpuPercent?: number;
  memoryBytes?: number;
  /** The limit the manifest declares (enforced only where `enforcement.memory`). */
  memoryLimitBytes?: number;
  /** Allocated size of DATA_DIR/apps/<id>, measured at most about a minute ago. */
  diskBytes: number;
  /** True when part of the data dir could not be read (e.g. owned by a container user). */
  diskPartial?: boolean;
  /** `cgroup`: Podman's stats; `proc`: summed from the container's processes in /proc. */
  source: 'cgroup' | 'proc';
}

export interface ResourcesReport {
  capacity: HostCapacity;
  budget: ResourceBudget & { memoryBudgetBytes: number };
  /** Sums over installed apps: memory reservations (or limits) and declared minimum disk. */
  allocated: { memoryBytes: number; diskMinBytes: number };
  apps: AppUsage[];
}
