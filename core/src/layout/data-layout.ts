// Every path under the data dir, in one place. The layout is part of the external contract
// (README, "Data layout"); code that needs a file or folder there asks a DataLayout for it and
// never joins names onto the data dir itself. This module sits below everything else (it knows
// only node:path) so the daemon, the API, the CLI, security/ and the stores can all use it.

import { join } from 'node:path';

/**
 * The daemon's own top-level folders. App data lives under `apps/`, in a root of its own, so no
 * app id can name one of these (an app with `id: trust` once got the image trust store as its
 * data dir). The reserved names (DAEMON_FOLDERS) are derived from this table, and DataLayout's
 * paths are built from it, so a folder cannot be added to one and forgotten in the other.
 */
const FOLDER = {
  apps: 'apps',
  secrets: 'secrets',
  logs: 'logs',
  backups: 'backups',
  appConfigs: 'app-configs',
  state: 'state',
  run: 'run',
  catalog: 'catalog',
  audit: 'audit',
  releases: 'releases',
  images: 'images',
  trust: 'trust',
  apparmor: 'apparmor',
  tor: 'tor',
  backupStaging: 'archy-backup',
} as const;

/**
 * Every top-level name under the data dir that is the daemon's own. The layout migration must
 * never move one, and the tests prove no app reaches one.
 */
export const DAEMON_FOLDERS: readonly string[] = Object.values(FOLDER);

/** The daemon's own top-level files (dot-names or names with a '.', which no app id can be). */
export const DAEMON_FILES = {
  cookie: '.cookie',
  lockKey: '.daemon-lock-key',
  webAuth: 'web-auth.json',
  setupCode: 'web-setup-code',
} as const;

/**
 * Every top-level name that is the daemon's, folders and files: what the layout migration never
 * moves as an app's old data dir (`web-setup-code` is a valid app id, `.cookie` is not).
 */
export const DAEMON_NAMES: readonly string[] = [...DAEMON_FOLDERS, ...Object.values(DAEMON_FILES)];

/** Where everything lives under the data dir (the layout is part of the external contract). */
export class DataLayout {
  /**
   * Volumes of adopted apps (`archy parmanode adopt`): bound in place to a host folder outside the
   * data dir. The app record is their source of truth; the record store keeps this map in step
   * with every record it reads, writes or deletes (orchestrator/app-record.ts), so every path that
   * asks volumeDir — the container's mounts, the datadir guard, the stale-mount check — agrees.
   */
  private readonly bound = new Map<string, Readonly<Record<string, string>>>();

  constructor(readonly root: string) {}

  /** Binds (or, with undefined, unbinds) an app's adopted volumes to their host folders. */
  bindVolumes(id: string, volumes: Readonly<Record<string, string>> | undefined): void {
    if (volumes && Object.keys(volumes).length > 0) this.bound.set(id, { ...volumes });
    else this.bound.delete(id);
  }

  /** The host folder an adopted volume is bound to, or undefined for a volume in the data dir. */
  boundVolume(id: string, volumeName: string): string | undefined {
    return this.bound.get(id)?.[volumeName];
  }

  /** `{dataDir}/apps/`: every app's data, and nothing else. */
  get appsRoot(): string {
    return join(this.root, FOLDER.apps);
  }

  /** `{dataDir}/apps/{app-id}/`: the app's data, kept across remove (unless purged) and updates. */
  appDataDir(id: string): string {
    return join(this.appsRoot, id);
  }

  /** Where a volume's data is on the host: `apps/{app-id}/{volume}`, or an adopted volume's own folder. */
  volumeDir(id: string, volumeName: string): string {
    return this.boundVolume(id, volumeName) ?? join(this.appDataDir(id), volumeName);
  }

  /**
   * `apps/{app-id}/.tor/`: the app's Tor sidecar (torrc, Tor's cache in `data/`) and its onion
   * services' keys (`onions/{name}/`). Inside the app's data on purpose: the keys are the app's
   * data — kept across restarts, updates and version switches, in its backups, gone with a purge.
   * No volume can be named `.tor` (volume names start with a letter or digit).
   */
  appTorDir(id: string): string {
    return join(this.appDataDir(id), '.tor');
  }

  /** `logs/`: the apps' kept output, one folder per app. */
  get logsDir(): string {
    return join(this.root, FOLDER.logs);
  }

  /** `logs/{app-id}/`: an app's output across container recreations, rotated (part of the contract). */
  appLogsDir(id: string): string {
    return join(this.logsDir, id);
  }

  /** `backups/`: the backup configuration (targets, schedule, last results) and restore staging. */
  get backupsDir(): string {
    return join(this.root, FOLDER.backups);
  }

  /**
   * `archy-backup/`: a backup's metadata (records, manifests, the apps' secrets in plain text),
   * written for one snapshot at the top of the data dir so the snapshot's paths stay relative to
   * it (backup/snapshot-layout.ts); 0700, removed as soon as restic has read it.
   */
  get backupStagingDir(): string {
    return join(this.root, FOLDER.backupStaging);
  }

  /** `tor/`: the node's own Tor (the web UI's onion for remote access): torrc, cache, keys. */
  get nodeTorDir(): string {
    return join(this.root, FOLDER.tor);
  }

  /** Where an app's data was before layout 2 (`{dataDir}/{app-id}/`); only the migration reads it. */
  legacyAppDataDir(id: string): string {
    return join(this.root, id);
  }

  get appConfigsDir(): string {
    return join(this.root, FOLDER.appConfigs);
  }

  appConfigFile(id: string): string {
    return join(this.appConfigsDir, `${id}.json`);
  }

  get stateDir(): string {
    return join(this.root, FOLDER.state);
  }

  get appRecordsDir(): string {
    return join(this.stateDir, 'apps');
  }

  appRecordFile(id: string): string {
    return join(this.appRecordsDir, `${id}.json`);
  }

  /** `state/intents/`: the version-change journal, one file per app (intent-journal.ts). */
  get intentsDir(): string {
    return join(this.stateDir, 'intents');
  }

  /** Which version of this layout the data dir is in (see data-layout-migration.ts). */
  get layoutStateFile(): string {
    return join(this.stateDir, 'layout.json');
  }

  /** The node's own trusted image-signing keys (`*.pub`), beside the bundled ones. */
  get imageKeysDir(): string {
    return join(this.root, FOLDER.trust, 'image-keys');
  }

  /** Official releases this node fetched and verified (tarballs, SHA256SUMS, signatures, builder keys). */
  get releasesDir(): string {
    return join(this.root, FOLDER.releases);
  }

  /** Where node image builds unpack and assemble (`releases/build/`). */
  get buildWorkDir(): string {
    return join(this.releasesDir, 'build');
  }

  /** What this node knows about the images it built itself: provenance and SBOM per app version. */
  get imagesDir(): string {
    return join(this.root, FOLDER.images);
  }

  /** The verified catalog metadata and its root chain (catalog-store.ts). */
  get catalogDir(): string {
    return join(this.root, FOLDER.catalog);
  }

  /** Encrypted app secrets (security/secrets). */
  get secretsDir(): string {
    return join(this.root, FOLDER.secrets);
  }

  /** The master key, when it is kept in the data dir (it may live elsewhere: --master-key). */
  get masterKeyFile(): string {
    return join(this.secretsDir, '.master-key');
  }

  get auditDir(): string {
    return join(this.root, FOLDER.audit);
  }

  /** The hash-chained audit log. */
  get auditLogFile(): string {
    return join(this.auditDir, 'audit.log');
  }

  /** The audit log's last sealed head, which a truncation cannot roll back unnoticed. */
  get auditAnchorFile(): string {
    return join(this.auditDir, 'head.json');
  }

  /** AppArmor profiles the daemon generated for its apps. */
  get apparmorDir(): string {
    return join(this.root, FOLDER.apparmor);
  }

  get runDir(): string {
    return join(this.root, FOLDER.run);
  }

  /** `run/scratch/`: the datadir reader's scratch space (orchestrator/datadir-access.ts). */
  get scratchDir(): string {
    return join(this.runDir, 'scratch');
  }

  /** `run/daemon.json`: the running daemon's URL and pid, for the CLI to find it. */
  get daemonInfoFile(): string {
    return join(this.runDir, 'daemon.json');
  }

  get cookieFile(): string {
    return join(this.root, DAEMON_FILES.cookie);
  }

  /** The key the data dir lock's name is made from (daemon/data-dir-lock.ts). */
  get lockKeyFile(): string {
    return join(this.root, DAEMON_FILES.lockKey);
  }

  /** The web UI's password hash. */
  get webAuthFile(): string {
    return join(this.root, DAEMON_FILES.webAuth);
  }

  /** The one-time code of the web UI's first-run setup. */
  get setupCodeFile(): string {
    return join(this.root, DAEMON_FILES.setupCode);
  }
}
