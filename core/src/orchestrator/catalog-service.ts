// The daemon's side of the signed catalog: loads the last good catalog at start (the bundled one,
// unless DATA_DIR/catalog holds a newer verified one), refreshes it on a timer from the configured
// URL, and tells listeners after each check (the auto-updater acts then). A refresh that fails
// keeps the last good catalog; catalog.status says why.

import type { Logger } from 'pino';
import type { CatalogStatusReport } from '../kernel/index.js';
import {
  CatalogStore,
  imageKeyPinsOf,
  type CatalogApp,
  type ImageKeyPins,
  type RefreshResult,
} from '../catalog/index.js';
import { byCodeUnits } from '../util/compare.js';

export const DEFAULT_CATALOG_REFRESH_MS = 60 * 60 * 1000;

export interface CatalogServiceOptions {
  dataDir: string;
  /** Where refreshes come from (ARCHY_CATALOG_URL); without it the node never refreshes. */
  url?: string;
  refreshIntervalMs?: number;
  /** The repo's catalog/ folder by default; tests may point elsewhere. */
  bundledDir?: string;
  logger: Logger;
}

type CheckListener = (result: RefreshResult | undefined) => Promise<void> | void;

export class CatalogService {
  private readonly store: CatalogStore;
  private readonly listeners: CheckListener[] = [];
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(private readonly options: CatalogServiceOptions) {
    this.store = new CatalogStore({
      dataDir: options.dataDir,
      ...(options.bundledDir !== undefined && { bundledDir: options.bundledDir }),
      warn: (message) => options.logger.warn(message),
    });
  }

  get refreshIntervalMs(): number {
    return this.options.refreshIntervalMs ?? DEFAULT_CATALOG_REFRESH_MS;
  }

  async load(): Promise<void> {
    const snapshot = await this.store.load();
    this.options.logger.info(
      { source: snapshot.source, version: snapshot.metadataVersion, expires: snapshot.expires },
      'catalog loaded',
    );
  }

  /** Heard after every periodic check, whether or not the refresh worked (the catalog may still apply). */
  onChecked(listener: CheckListener): void {
    this.listeners.push(listener);
  }

  /** Starts the periodic check: one right away, then every interval. */
  start(): void {
    const tick = (): void => {
      void this.check().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.refreshIntervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  /** One check: refresh when a URL is configured, then tell the listeners. Never runs twice at once. */
  check(): Promise<void> {
    this.checking ??= (async () => {
      let result: RefreshResult | undefined;
      try {
        if (this.options.url) result = await this.store.refresh(this.options.url);
        for (const listener of this.listeners) await listener(result);
      } catch (error) {
        this.options.logger.error({ err: error }, 'catalog check failed');
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  entry(id: string): CatalogApp | undefined {
    return this.store.current().catalog.apps[id];
  }

  /** The image keys the current catalog pins per app (image verification reads them each time). */
  imageKeyPins(): ImageKeyPins {
    return imageKeyPinsOf(this.store.current().catalog);
  }

  status(): CatalogStatusReport {
    const status = this.store.status();
    const snapshot = this.store.current();
    return {
      ...status,
      ...(this.options.url !== undefined && {
        refreshUrl: this.options.url,
        refreshIntervalSeconds: Math.round(this.refreshIntervalMs / 1000),
      }),
      apps: Object.values(snapshot.catalog.apps)
        .sort((a, b) => byCodeUnits(a.id, b.id))
        .map((app) => ({
          id: app.id,
          defaultVersion: app.version,
          versions: app.versions.map((version) => version.version),
        })),
    };
  }
}
