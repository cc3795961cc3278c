// The daemon's version side as the API sees it (VersionControl): what the catalog offers for an
// app, the user's pin and auto-update choice, and version changes — the changes themselves run
// in version-switch.ts on the app's queue. Also the auto-updater: after each periodic catalog
// check, apps with auto-update on and no pin move to the catalog default, as a normal
// set-version, recorded in the audit log as the daemon's own ('system') action.

import {
  RpcErrorCode,
  type AppConfigReport,
  type AppVersionsReport,
  type CatalogStatusReport,
  type VersionChangePlanParams,
  type VersionChangePlanReport,
  type VersionChangeResult,
  type SetVersionRequest,
  type SwitchImplementationRequest,
  type AppConfigChange,
  type TorModeChange,
} from '../kernel/index.js';
import { displayVersion } from './display-version.js';
import { availableUpdate, versionsForManifest } from '../catalog/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { AuditRecord } from '../security/audit/index.js';
import { ArchyError } from '../kernel/index.js';
import type { AppConfigStore } from '../orchestrator/app-config.js';
import type { CatalogService } from '../orchestrator/catalog-service.js';
import type { ChangeActor, VersionControl } from '../orchestrator/lifecycle.js';
import type { VersionSwitch } from './version-switch.js';

export interface VersionControlOptions {
  catalog: CatalogService;
  configs: AppConfigStore;
  switcher: VersionSwitch;
  /** The installed app's version and manifest, or the bundled manifest when not installed. */
  appInfo(id: string): Promise<{ installedVersion?: string; manifest: AppManifest }>;
  installedIds(): string[];
  /** Changes a Bitcoin node's pruning (recreating its container); see Orchestrator.changeBitcoinPrune. */
  changeBitcoinPrune?(
    id: string,
    prune: number,
    confirmResync?: string,
  ): Promise<{ settings: { prune?: number }; message: string }>;
  /** Sets an app's Tor mode (recreating it when that changes); see TorActions.setMode. */
  changeTorMode?(id: string, mode: 'tor' | 'clearnet' | null): Promise<TorModeChange>;
  audit?: { append(record: AuditRecord): Promise<unknown> };
  log: (level: 'info' | 'warn' | 'error', details: object, message: string) => void;
}

export class AppVersionControl implements VersionControl {
  constructor(private readonly options: VersionControlOptions) {
    options.catalog.onChecked(() => this.autoUpdate());
  }

  catalogStatus(): CatalogStatusReport {
    return this.options.catalog.status();
  }

  async versions(id: string): Promise<AppVersionsReport> {
    const { installedVersion, manifest } = await this.options.appInfo(id);
    const entry = this.options.catalog.entry(id);
    if (!entry) {
      throw new ArchyError(
        RpcErrorCode.NotFound,
        `the catalog lists no versions of '${id}'; it installs only at its manifest's version (${manifest.version})`,
      );
    }
    const implementation = manifest.bitcoin?.implementation;
    const config = await this.options.configs.get(id);
    const update =
      installedVersion === undefined
        ? undefined
        : availableUpdate({
            installedVersion,
            catalogEntry: entry,
            ...(config.pinnedVersion !== undefined && { pinnedVersion: config.pinnedVersion }),
            ...(implementation && { implementation }),
          });
    return {
      id,
      installed: installedVersion !== undefined,
      ...(installedVersion !== undefined && { version: installedVersion }),
      defaultVersion: entry.version,
      // The catalog parser already dropped floating tags; only the manifest's repository is offered.
      versions: versionsForManifest(entry, manifest.image).map((version) => ({
        version: version.version,
        display: displayVersion(version.version, implementation),
        image: version.image,
        default: version.default,
        deprecated: version.deprecated,
        ...(version.eol !== undefined && { eol: version.eol }),
        ...(version.notes !== undefined && { notes: version.notes }),
        installed: version.version === installedVersion,
      })),
      ...(update && {
        update: { version: update.version, display: displayVersion(update.version, implementation) },
      }),
      ...(config.pinnedVersion !== undefined && { pinnedVersion: config.pinnedVersion }),
      autoUpdate: config.autoUpdate,
    };
  }

  async setConfig(params: AppConfigChange): Promise<AppConfigReport> {
    const { id, pinnedVersion, autoUpdate, prune, confirmResync, tor } = params;
    const { manifest } = await this.options.appInfo(id);
    if (typeof pinnedVersion === 'string') {
      const entry = this.options.catalog.entry(id);
      const offered = entry
        ? versionsForManifest(entry, manifest.image).map((v) => v.version)
        : [manifest.version];
      if (!offered.includes(pinnedVersion)) {
        throw new ArchyError(
          RpcErrorCode.NotFound,
          `${id} ${pinnedVersion} is not in the catalog, so it cannot be pinned; choose one of: ${offered.join(', ')}`,
        );
      }
    }
    let pruned: { settings: { prune?: number }; message: string } | undefined;
    if (prune !== undefined) {
      if (!this.options.changeBitcoinPrune || !this.options.installedIds().includes(id))
        throw new ArchyError(
          RpcErrorCode.NotFound,
          `'${id}' is not installed; choose pruning when installing it: archy install ${id} --prune <GB>`,
        );
      pruned = await this.options.changeBitcoinPrune(id, prune, confirmResync);
    }
    let torChange: TorModeChange | undefined;
    if (tor !== undefined) {
      if (!this.options.changeTorMode || !this.options.installedIds().includes(id))
        throw new ArchyError(
          RpcErrorCode.NotFound,
          `'${id}' is not installed; install it first (apps with Tor start in their manifest's default mode)`,
        );
      torChange = await this.options.changeTorMode(id, tor);
    }
    const config = await this.options.configs.update(id, {
      ...(pinnedVersion !== undefined && { pinnedVersion }),
      ...(autoUpdate !== undefined && { autoUpdate }),
      ...(pruned && { prune: pruned.settings.prune ?? null }),
    });
    const message = [pruned?.message, torChange?.message].filter(Boolean).join('\n');
    return { id, ...config, ...(message !== '' && { message }), ...(torChange && { torChange }) };
  }

  setVersion(params: SetVersionRequest, actor?: ChangeActor): Promise<VersionChangeResult> {
    return this.options.switcher.setVersion(params, actor);
  }

  update(id: string, actor?: ChangeActor): Promise<VersionChangeResult> {
    return this.options.switcher.update(id, actor);
  }

  switchImplementation(params: SwitchImplementationRequest): Promise<VersionChangeResult> {
    return this.options.switcher.switchImplementation(params);
  }

  /** `package.plan-version-change`: the plan of the call it names, decided as that call decides it. */
  planVersionChange(params: VersionChangePlanParams): Promise<VersionChangePlanReport> {
    const { op, ...call } = params;
    return op === 'set-version'
      ? this.options.switcher.planSetVersion(call as SetVersionRequest)
      : this.options.switcher.planSwitch(call as SwitchImplementationRequest);
  }

  /**
   * Moves every app with auto-update on (and no pin) to the catalog default, one at a time — but
   * never from an expired catalog: past its expiry the publisher no longer vouches that it is
   * current (a mirror may be replaying it to hold the node on, or steer it to, old versions).
   * A user may still choose a version by hand; the UI and `archy catalog` show the expiry.
   */
  private async autoUpdate(): Promise<void> {
    const catalog = this.options.catalog.status();
    if (catalog.expired) {
      if (this.options.installedIds().length > 0) {
        this.options.log(
          'warn',
          { catalogVersion: catalog.metadataVersion, expires: catalog.expires },
          `auto-update paused: catalog version ${catalog.metadataVersion} expired at ${catalog.expires}; ` +
            'apps update on their own again once a fresh signed catalog arrives',
        );
      }
      return;
    }
    for (const id of this.options.installedIds()) {
      const config = await this.options.configs.get(id);
      if (!config.autoUpdate || config.pinnedVersion !== undefined) continue;
      const entry = this.options.catalog.entry(id);
      if (!entry) continue;
      const { installedVersion, manifest } = await this.options.appInfo(id);
      if (installedVersion === undefined) continue;
      const update = availableUpdate({
        installedVersion,
        catalogEntry: entry,
        ...(manifest.bitcoin && { implementation: manifest.bitcoin.implementation }),
      });
      if (!update) continue;
      this.options.log('info', { app: id, from: installedVersion, to: update.version }, 'auto-update');
      let result: string = 'ok';
      try {
        await this.options.switcher.setVersion({ id, version: update.version }, 'system');
      } catch (error) {
        result = `error: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
        this.options.log('warn', { app: id, err: error }, 'auto-update failed');
      }
      await this.options.audit
        ?.append({
          actor: 'system',
          action: 'package.update',
          target: id,
          params: { version: update.version, autoUpdate: true },
          result: result as AuditRecord['result'],
        })
        .catch((error: unknown) =>
          this.options.log('error', { err: error }, 'could not audit an auto-update'),
        );
    }
  }
}
