import type { AppStatus, AppVersionInfo, CatalogEntry } from '@archipelago/core/contract';
import { displayVersion } from '../lib/versions';

export function appStatus(id: string, patch: Partial<AppStatus> = {}): AppStatus {
  return {
    id,
    name: id[0]!.toUpperCase() + id.slice(1),
    version: '1.0.0',
    image: `127.0.0.1:5000/apps/${id}:1.0.0`,
    state: 'running',
    health: 'healthy',
    containerName: `archy-${id}`,
    ports: [],
    desired: 'running',
    installedAt: '2026-01-01T00:00:00.000Z',
    restartCount: 0,
    ...patch,
  };
}

/** One catalog version as the daemon lists it (labelled with core's own version grammar). */
export function versionInfo(version: string, patch: Partial<AppVersionInfo> = {}): AppVersionInfo {
  return {
    version,
    display: displayVersion(version),
    image: `127.0.0.1:5000/apps/x:${version}`,
    default: false,
    deprecated: false,
    installed: false,
    ...patch,
  };
}

/** A catalog-list entry; without `versions` it offers only its own version, as the daemon does. */
export function catalogEntry(id: string, patch: Partial<CatalogEntry> = {}): CatalogEntry {
  const version = patch.version ?? '1.0.0';
  return {
    id,
    name: id,
    version,
    category: 'other',
    dependencies: [],
    provides: [],
    conflicts: [],
    installed: false,
    versions: [versionInfo(version, { default: true })],
    defaultVersion: version,
    autoUpdate: false,
    ...patch,
  };
}
