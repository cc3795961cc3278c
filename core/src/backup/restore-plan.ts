// What a restore will do, decided from the snapshot's backup.json and records and the node's
// installed apps, before anything changes (pure: unit-tested in restore-plan.spec.ts). The same
// module says how a restored record is installed again, and what a restart does with a journal.

import { isAbsolute, dirname } from 'node:path';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import type { AppRecord } from '../orchestrator/app-record.js';
import type { InstallRequest } from '../orchestrator/index.js';
import type { RestoreAppEntry } from './restore-journal.js';
import type { SnapshotApp } from './snapshot-layout.js';

export type { SnapshotApp };

export interface RestorePlanInput {
  /** The apps in the snapshot. */
  snapshotApps: readonly SnapshotApp[];
  /** The snapshot's record of each of its apps (`archy-backup/apps/<id>/record.json`). */
  records: ReadonlyMap<string, AppRecord>;
  /** The apps the user named; empty: every app in the snapshot. */
  requested: readonly string[];
  /** The apps installed on this node now. */
  installed: readonly string[];
}

export interface PlannedAppRestore {
  id: string;
  version: string;
  desired: 'running' | 'stopped';
  manifest: SnapshotApp['manifest'];
  record: AppRecord;
  /** Installed here now: its data is replaced (the user confirms this). */
  replaces: boolean;
}

/**
 * The apps to restore, providers before the apps bound to them (so a dependent's install finds
 * its provider installed). Throws, naming what to do, for an app the snapshot does not hold.
 */
export function planRestore(input: RestorePlanInput): PlannedAppRestore[] {
  const inSnapshot = new Map(input.snapshotApps.map((app) => [app.id, app]));
  const missing = input.requested.filter((id) => !inSnapshot.has(id));
  if (missing.length > 0) {
    const held = [...inSnapshot.keys()].join(', ') || 'no apps';
    throw new ArchyError(
      RpcErrorCode.NotFound,
      `the snapshot holds no ${missing.map((id) => `'${id}'`).join(', ')} (it holds ${held}); ` +
        'see each snapshot’s apps with: archy backup list',
    );
  }
  const chosen = input.requested.length > 0 ? [...new Set(input.requested)] : [...inSnapshot.keys()];
  const installed = new Set(input.installed);
  const planned = chosen.map((id): PlannedAppRestore => {
    const app = inSnapshot.get(id)!;
    const record = input.records.get(id);
    if (!record) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `the snapshot lists '${id}' but holds no record of it (archy-backup/apps/${id}/record.json); ` +
          'it was not made by archy backup create, or is damaged: run archy backup verify --read-data',
      );
    }
    return {
      id,
      version: app.version,
      desired: app.desired,
      manifest: app.manifest,
      record,
      replaces: installed.has(id),
    };
  });
  return providersFirst(planned);
}

/** Orders apps so each comes after the restored apps its record is bound to; otherwise by id. */
function providersFirst(apps: PlannedAppRestore[]): PlannedAppRestore[] {
  const byId = new Map(apps.map((app) => [app.id, app]));
  const ordered: PlannedAppRestore[] = [];
  const visiting = new Set<string>();
  const visit = (app: PlannedAppRestore): void => {
    if (ordered.includes(app) || visiting.has(app.id)) return;
    visiting.add(app.id);
    for (const provider of Object.values(app.record.bindings ?? {}).sort()) {
      const other = byId.get(provider);
      if (other) visit(other);
    }
    ordered.push(app);
  };
  for (const app of [...apps].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) visit(app);
  return ordered;
}

/**
 * The install that brings a restored record back, at its recorded version, through the same path
 * as `archy install`: a bundled or catalog app from this node's bundled manifests (the catalog
 * picks the recorded version and its pinned digest), an app installed from a file from the
 * manifest text its record kept. The data is already in place, so the install's version guard
 * checks a Bitcoin datadir against the image as it does for any kept data.
 */
export function installRequestOf(app: Pick<PlannedAppRestore, 'manifest' | 'record'>): InstallRequest {
  const { record } = app;
  const common = {
    version: record.version,
    ...(record.bitcoin && {
      network: record.bitcoin.network,
      prune: record.bitcoin.prune ?? 0,
    }),
    ...(record.bindings && Object.keys(record.bindings).length > 0 && { choices: { ...record.bindings } }),
  };
  if (app.manifest !== 'file') return { source: { kind: 'bundled', id: record.id }, ...common };
  return {
    source: {
      kind: 'manifest',
      yaml: record.manifestYaml,
      file: record.manifestFile,
      ...(isAbsolute(record.manifestFile) && { dir: dirname(record.manifestFile) }),
    },
    ...common,
    // The user confirmed this imported app's digest-pinned images when it was first installed;
    // the record carries exactly those, and the restore installs nothing else.
    ...(record.imported && { confirmImported: true }),
  };
}

/** What a daemon start does with an app of an interrupted restore (restore-journal.ts). */
export type RecoveryAction = 'nothing' | 'finish' | 'roll-back';

/**
 * Once the journal is `applying`, the snapshot was restored whole into staging and read: all that
 * finishing needs is on this disk, and the user asked for it, so an interrupted app is finished
 * (rolling back would cost the same reinstall of the old app, and silently undo the request). An
 * app whose finish fails is rolled back instead, so each app ends on its old data or its new,
 * never a mix. A journal still `staging` touched nothing: the staging is thrown away.
 */
export function recoveryActionOf(app: Pick<RestoreAppEntry, 'step' | 'error'>): RecoveryAction {
  if (app.step === 'done' || app.step === 'rolled-back') return 'nothing';
  // Installed from the snapshot and running: only clean-up is left, never a roll-back.
  if (app.step === 'installed') return 'finish';
  return app.error === undefined ? 'finish' : 'roll-back';
}
