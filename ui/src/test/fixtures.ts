import type { AppStatus, CatalogEntry } from '@archipelago/core/contract';

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

export function catalogEntry(id: string, patch: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    id,
    name: id,
    version: '1.0.0',
    category: 'other',
    dependencies: [],
    provides: [],
    conflicts: [],
    installed: false,
    ...patch,
  };
}
