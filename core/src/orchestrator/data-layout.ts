import { join } from 'node:path';

/**
 * Top-level names under the data dir that belong to the daemon. An app with one of these ids
 * would have its data dir collide with them, so such ids are refused at install.
 */
export const RESERVED_APP_IDS: ReadonlySet<string> = new Set([
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
]);

/** Where everything lives under the data dir (the layout is part of the external contract). */
export class DataLayout {
  constructor(readonly root: string) {}

  /** `{dataDir}/{app-id}/`: the app's data, kept across remove (unless purged) and updates. */
  appDataDir(id: string): string {
    return join(this.root, id);
  }

  volumeDir(id: string, volumeName: string): string {
    return join(this.root, id, volumeName);
  }

  appConfigFile(id: string): string {
    return join(this.root, 'app-configs', `${id}.json`);
  }

  appRecordFile(id: string): string {
    return join(this.root, 'state', 'apps', `${id}.json`);
  }

  get appRecordsDir(): string {
    return join(this.root, 'state', 'apps');
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
