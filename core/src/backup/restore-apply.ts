// One app of a restore, step by step (the steps and why their order makes each safe to repeat:
// restore-journal.ts). Every change to the app itself — removing its old containers, installing
// it again at its recorded version, stopping it when it was stopped — goes through the
// orchestrator's door (its per-app queue, its install path with the image provisioning and the
// Bitcoin version guard); this module only moves the app's three things in and out of place:
// `apps/<id>/` (its volumes and `.tor/onions`), `secrets/<id>/` and `app-configs/<id>.json`.

import { copyFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { ArchyError, RpcErrorCode, type AppStatus } from '../kernel/index.js';
import type { DataLayout } from '../layout/index.js';
import { removeAppTree } from '../orchestrator/app-data-removal.js';
import { APP_RECORD_FORMAT, type AppRecord } from '../orchestrator/app-record.js';
import type { AppLifecycle } from '../orchestrator/index.js';
import type { PauseHook } from '../orchestrator/test-pause.js';
import type { SecretStore } from '../security/secrets/index.js';
import { JsonFile } from '../util/json-store.js';
import { pathExists } from '../util/path-exists.js';
import type {
  RestoreAppEntry,
  RestoreJournal,
  RestoreJournalEntry,
  RestoreStaging,
} from './restore-journal.js';
import { installRequestOf, type SnapshotApp } from './restore-plan.js';
import { readRestoredApp, type RestoredApp } from './restore-snapshot.js';

/** The orchestrator's door, as much of it as a restore uses. */
export type RestoreDoor = Pick<AppLifecycle, 'install' | 'stop' | 'remove' | 'list'>;

export interface RestoreApplyOptions {
  door: RestoreDoor;
  layout: DataLayout;
  secrets: SecretStore;
  journal: RestoreJournal;
  /** Test hook (ARCHY_TEST_PAUSE_AT): `restore-swapped-in`, `restore-installed`. */
  pause: PauseHook;
  log: Logger;
}

/** What the record of an app installed from a file looks like to a restore: its manifest's source. */
export type ManifestSource = SnapshotApp['manifest'];

export class RestoreApply {
  constructor(private readonly options: RestoreApplyOptions) {}

  /**
   * Takes `app` from the step its journal entry names to `done`; returns the journal as written.
   * Throws with the step's error; the caller records it and rolls the app back.
   */
  async finish(
    journal: RestoreJournalEntry,
    app: RestoreAppEntry,
    staging: RestoreStaging,
  ): Promise<RestoreJournalEntry> {
    const { door, layout, log } = this.options;
    const id = app.id;
    const restored = await readRestoredApp(staging.snapshotDir, id);
    let entry = journal;
    let step = app.step;
    const advance = async (next: RestoreAppEntry['step']) => {
      entry = await this.options.journal.advance(entry, id, next);
      step = next;
    };
    if (step === 'pending') {
      // The old record is what a roll-back reinstalls: kept before the app goes.
      const record = new JsonFile(layout.appRecordFile(id), APP_RECORD_FORMAT);
      const old = await record.read();
      if (old) await new JsonFile(staging.oldRecord(id), APP_RECORD_FORMAT).write(old);
      if (await this.isInstalled(id)) await door.remove(id, { purge: false });
      await advance('removed');
    }
    if (step === 'removed') {
      for (const [live, aside] of this.paths(id, staging)) {
        if ((await pathExists(live)) && !(await pathExists(aside))) {
          await mkdir(dirname(aside), { recursive: true, mode: 0o700 });
          await rename(live, aside);
        }
      }
      await advance('swapped-out');
    }
    if (step === 'swapped-out') {
      await this.swapIn(id, staging, restored);
      await this.options.pause('restore-swapped-in', id);
      await advance('swapped-in');
    }
    if (step === 'swapped-in') {
      // Installed already when the daemon died after the install and before this step was written.
      if (!(await this.isInstalled(id))) {
        await door.install(installRequestOf({ manifest: restored.meta.manifest, record: restored.record }));
        if (restored.meta.desired === 'stopped') await door.stop(id);
      }
      await this.options.pause('restore-installed', id);
      await advance('installed');
    }
    if (step === 'installed') {
      // The restored app runs: from here on it is never rolled back. Deleting what it replaced is
      // clean-up only; if that fails the leftover goes with the staging folder (now, or at the
      // next start), and the app keeps its restored data.
      try {
        await this.deleteAside(id, staging);
      } catch (error) {
        log.warn(
          { app: id, err: error, path: staging.oldAppDir(id) },
          'restored; the data it replaced could not be deleted yet (it goes with the restore staging)',
        );
      }
      await advance('done');
      log.info({ app: id, version: restored.record.version }, 'restored');
    }
    return entry;
  }

  /**
   * Puts the app back as it was before the restore: its old data, secrets and config in place,
   * and (if it was installed) the old app installed again from its old record. Whatever of the
   * restored app is in place goes first. Safe to run again after a crash in the middle.
   */
  async rollBack(
    journal: RestoreJournalEntry,
    app: RestoreAppEntry,
    staging: RestoreStaging,
    oldManifest: (record: AppRecord) => ManifestSource,
  ): Promise<RestoreJournalEntry> {
    const { door, log } = this.options;
    const id = app.id;
    if (app.step !== 'pending') {
      if (await this.isInstalled(id)) await door.remove(id, { purge: false });
      const movedOut = app.step !== 'removed';
      for (const [live, aside] of this.paths(id, staging)) {
        if (await pathExists(aside)) {
          await this.removeLive(id, live);
          await rename(aside, live);
        } else if (movedOut) {
          // Everything old was moved aside before `swapped-out` was written: what is here is new.
          await this.removeLive(id, live);
        }
      }
      const old = await new JsonFile(staging.oldRecord(id), APP_RECORD_FORMAT).read();
      if (old && !(await this.isInstalled(id))) {
        await door.install(installRequestOf({ manifest: oldManifest(old), record: old }));
        if (old.desired === 'stopped') await door.stop(id);
      }
    }
    log.warn({ app: id, reason: app.error }, 'restore of this app rolled back; its old data is in place');
    return this.options.journal.advance(journal, id, 'rolled-back', app.error ?? 'rolled back');
  }

  private async isInstalled(id: string): Promise<boolean> {
    return (await this.options.door.list()).some((status: AppStatus) => status.id === id);
  }

  /** Each live path of the app with where its old content waits during the restore. */
  private paths(id: string, staging: RestoreStaging): Array<[live: string, aside: string]> {
    const { layout } = this.options;
    return [
      [layout.appDataDir(id), staging.oldAppDir(id)],
      [join(layout.secretsDir, id), staging.oldSecretsDir(id)],
      [layout.appConfigFile(id), staging.oldAppConfig(id)],
    ];
  }

  /** The restored data moved in, the secrets sealed under this node's master key, the config copied. */
  private async swapIn(id: string, staging: RestoreStaging, restored: RestoredApp): Promise<void> {
    const { layout, secrets } = this.options;
    const from = staging.restoredAppDir(id);
    // A rename: same disk (backups/ and apps/ are both in the data dir), so no second copy of the data.
    if ((await pathExists(from)) && !(await pathExists(layout.appDataDir(id)))) {
      await mkdir(layout.appsRoot, { recursive: true, mode: 0o700 });
      await rename(from, layout.appDataDir(id));
    }
    // The snapshot holds them in plain text (restic encrypted them with the backup key): each is
    // sealed again under this node's master key, so a fresh node's apps keep their passwords.
    for (const [name, value] of Object.entries(restored.secrets)) await secrets.set(id, name, value);
    if (await pathExists(staging.restoredAppConfig(id))) {
      await mkdir(layout.appConfigsDir, { recursive: true, mode: 0o700 });
      await copyFile(staging.restoredAppConfig(id), layout.appConfigFile(id));
    }
  }

  private async deleteAside(id: string, staging: RestoreStaging): Promise<void> {
    await removeAppTree(staging.oldAppDir(id));
    await rm(staging.oldSecretsDir(id), { recursive: true, force: true });
    await rm(staging.oldAppConfig(id), { force: true });
    await rm(staging.oldRecord(id), { force: true });
  }

  /** Deletes one of the app's live paths (its data tree may hold files of its container user). */
  private async removeLive(id: string, live: string): Promise<void> {
    if (live === this.options.layout.appDataDir(id)) await removeAppTree(live);
    else await rm(live, { recursive: true, force: true });
  }
}

/** The first line of an error, for the journal and the user. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** A restore's failure as the API reports it. */
export function restoreFailed(message: string, cause?: unknown): ArchyError {
  return new ArchyError(RpcErrorCode.Conflict, message, { cause });
}

/** Reads a file of the staging as text (backup.json, record.json, secrets.json). */
export function readStagedText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
