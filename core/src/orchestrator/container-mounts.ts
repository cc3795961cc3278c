// Whether a container still mounts its app's volumes where the data layout puts them. A container
// created before the app data moved (data layout 2, see data-layout-migration.ts) bind-mounts a
// folder that is no longer there: started again, it would fail, or run on an empty folder
// someone made there. The reconcile recreates such a container from the app's record.

import type { ContainerInspect } from '../podman/index.js';

export interface ExpectedVolumeMount {
  /** Where the app sees it (the manifest's `mount`). */
  destination: string;
  /** Host paths that are the volume: the layout's path, and that path with links resolved. */
  sources: readonly string[];
}

/**
 * What is wrong with the container's volume mounts, one line per volume (empty: they are as the
 * layout says). Only the app's volumes are compared: tmpfs and secret mounts are not the layout's.
 */
export function staleVolumeMounts(
  mounts: ContainerInspect['Mounts'] | undefined,
  expected: readonly ExpectedVolumeMount[],
): string[] {
  const problems: string[] = [];
  for (const volume of expected) {
    const mounted = (mounts ?? []).find((mount) => mount.Destination === volume.destination);
    if (!mounted) {
      problems.push(`${volume.destination} is not mounted (expected ${volume.sources[0]})`);
    } else if (!volume.sources.includes(mounted.Source)) {
      problems.push(`${volume.destination} mounts ${mounted.Source}, not ${volume.sources[0]}`);
    }
  }
  return problems;
}
