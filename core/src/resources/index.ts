// Resource manager: host capacity, admission control against a memory/disk budget, and per-app
// usage. Limits themselves are turned into Podman's resource_limits by the orchestrator's
// container spec; this module decides whether an app fits and reports what it uses.
export {
  admitInstall,
  assertAdmitted,
  memoryClaim,
  totalMemoryClaim,
  type AdmissionDecision,
  type AdmissionRequest,
  type AppResources,
} from './admission.js';
export {
  budgetFromEnv,
  memoryBudgetBytes,
  DEFAULT_BUDGET,
  MEMORY_SHARE_ENV,
  DISK_RESERVE_ENV,
  type ResourceBudget,
} from './budget.js';
export { formatByteSize } from './byte-size.js';
export { DirSizeCache, measureDirSize, type DirSize, type MeasureDirOptions } from './dir-size.js';
export {
  enforcementFromPodman,
  enforcementGap,
  readCgroupEnforcement,
  type PodmanCgroupFacts,
} from './enforcement.js';
export {
  parseMemInfo,
  readDiskSpace,
  readHostCapacity,
  type HostCapacity,
  type LimitEnforcement,
  type MemInfo,
  type ReadHostCapacityOptions,
} from './host-capacity.js';
export { sampleProcessTrees, type ProcUsage } from './proc-usage.js';
export {
  ResourceManager,
  type ResourceManagerOptions,
  type ResourceSource,
  type ResourcesReport,
} from './resource-manager.js';
export { readAppsUsage, type AppUsage, type ContainerUsageReader, type ResourceApp } from './usage.js';
