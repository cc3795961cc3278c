import type {
  AppStatus,
  AppVersionInfo,
  CatalogEntry,
  VersionChangePlanReport,
} from '@archipelago/core/contract';
import { displayVersion } from '../lib/versions';

export function appStatus(id: string, patch: Partial<AppStatus> = {}): AppStatus {
  const image = `127.0.0.1:5000/apps/${id}:1.0.0`;
  return {
    id,
    name: id[0]!.toUpperCase() + id.slice(1),
    version: '1.0.0',
    image,
    state: 'running',
    health: 'healthy',
    containerName: `archy-${id}`,
    ports: [],
    desired: 'running',
    installedAt: '2026-01-01T00:00:00.000Z',
    restartCount: 0,
    // A single-container app, as the daemon reports it: one service named `main`.
    services: [
      {
        name: 'main',
        main: true,
        containerName: `archy-${id}`,
        image,
        state: 'running',
        health: 'healthy',
        ports: [],
      },
    ],
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

/**
 * A `package.plan-version-change` answer as the daemon words it (a spec's stand-in for the daemon,
 * whose own planning is tested in core); default: bitcoin-core 31.0 → 28.4 needing a reindex.
 */
export function versionPlan(patch: Partial<VersionChangePlanReport> = {}): VersionChangePlanReport {
  return {
    op: 'set-version',
    from: { id: 'bitcoin-core', version: '31.0', display: '31.0' },
    to: { id: 'bitcoin-core', version: '28.4', display: '28.4', image: '127.0.0.1:5000/bitcoin-core:28.4' },
    direction: 'downgrade',
    allowed: false,
    needs: 'confirmation',
    confirmable: true,
    confirm: { confirmDowngrade: true },
    reindex: 'chainstate',
    startArgs: ['-reindex-chainstate'],
    warning:
      'downgrading bitcoin-core 31.0 → 28.4 needs a reindex of the chainstate (hours), because the older release series reads the chainstate in another format.',
    refusal:
      'downgrading bitcoin-core 31.0 → 28.4 needs a reindex of the chainstate (hours); confirm with --confirm-downgrade',
    reasons: [{ rule: 'older-release-series', effect: 'needs-reindex-chainstate', reason: 'older series' }],
    datadirVersion: { implementation: 'core', version: '31.0', evidence: 'the recorded version' },
    ...patch,
  };
}
