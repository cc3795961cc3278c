import { join } from 'node:path';

/**
 * Every top-level name under the data dir that is the daemon's own. App data lives under
 * `apps/`, in a root of its own, so no app id can name one of these (an app with `id: trust`
 * once got the image trust store as its data dir). The list serves the layout migration, which
 * must never move a daemon folder, and the tests that prove no app reaches one.
 */
export const DAEMON_FOLDERS: readonly string[] = [
  'apps',
  'secrets',
  'logs',
  'backups',
  'app-configs',
  'state',
  'run',
  'catalog',
  'audit',
  'releases',
  'images',
  'trust',
  'apparmor',
];

/** Where everything lives under the data dir (the layout is part of the external contract). */
export class DataLayout {
  constructor(readonly root: string) {}

  /** `{dataDir}/apps/`: every app's data, and nothing else. */
  get appsRoot(): string {
    return join(this.root, 'apps');
  }

  /** `{dataDir}/apps/{app-id}/`: the app's data, kept across remove (unless purged) and updates. */
  appDataDir(id: string): string {
    return join(this.appsRoot, id);
  }

  volumeDir(id: string, volumeName: string): string {
    return join(this.appDataDir(id), volumeName);
  }

  /** Where an app's data was before layout 2 (`{dataDir}/{app-id}/`); only the migration reads it. */
  legacyAppDataDir(id: string): string {
    return join(this.root, id);
  }

  appConfigFile(id: string): string {
    return join(this.root, 'app-configs', `${id}.json`);
  }

  get appConfigsDir(): string {
    return join(this.root, 'app-configs');
  }

  appRecordFile(id: string): string {
    return join(this.root, 'state', 'apps', `${id}.json`);
  }

  get appRecordsDir(): string {
    return join(this.root, 'state', 'apps');
  }

  /** Which version of this layout the data dir is in (see data-layout-migration.ts). */
  get layoutStateFile(): string {
    return join(this.root, 'state', 'layout.json');
  }

  /** The node's own trusted image-signing keys (`*.pub`), beside the bundled ones. */
  get imageKeysDir(): string {
    return join(this.root, 'trust', 'image-keys');
  }

  /** Official releases this node fetched and verified (tarballs, SHA256SUMS, signatures, builder keys). */
  get releasesDir(): string {
    return join(this.root, 'releases');
  }

  /** What this node knows about the images it built itself: provenance and SBOM per app version. */
  get imagesDir(): string {
    return join(this.root, 'images');
  }

  get runDir(): string {
    return join(this.root, 'run');
  }

  get cookieFile(): string {
    return join(this.root, '.cookie');
  }
}
