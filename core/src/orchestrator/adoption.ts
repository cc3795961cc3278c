// Installing a Bitcoin node on data that already exists elsewhere on the host — a Parmanode node's
// datadir, typically on an external drive — in place: no copy of the chain. `package.adopt` checks
// everything before anything changes (the folder, its owner, the chain, the version guard), then
// installs the bundled app with the volume bound to that folder (DataLayout.bindVolumes, through
// the record) and the record saying so; the install's own intent, rollback and boot recovery cover
// a crash, and give the data back. `package.release` is the way back: the app goes, the data stays
// where it was, owned by its user again.

import type { Logger } from 'pino';
import { checkChainMatchesData, requestedSettings, applyBitcoinSettings } from '../bitcoin/chain-settings.js';
import { parseBitcoinVersion, sameBitcoinVersion } from '../bitcoin/index.js';
import {
  ArchyError,
  RpcErrorCode,
  type AdoptRequest,
  type AdoptResult,
  type AppStatus,
  type ReleaseResult,
} from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { DataLayout } from '../layout/index.js';
import { assertBoundVolumeSafe } from '../security/policy/index.js';
import { isEmptyTree } from '../util/empty-tree.js';
import { pathExists } from '../util/path-exists.js';
import { daemonOwner, foreignOwned } from './adopted-data.js';
import type { AppActions } from './app-actions.js';
import type { AppRegistry } from './app-registry.js';
import type { BitcoinDatadirs } from './bitcoin-datadir.js';
import type { BundledApps } from './bundled-apps.js';
import type { CatalogService } from './catalog-service.js';
import type { InstallFlow } from './install-flow.js';

export interface AdoptionOptions {
  registry: AppRegistry;
  bundled: BundledApps;
  datadirs: BitcoinDatadirs;
  installs: InstallFlow;
  actions: AppActions;
  layout: DataLayout;
  catalog?: CatalogService;
  log: Logger;
}

export class Adoption {
  constructor(private readonly options: AdoptionOptions) {}

  /** Checks, then (unless `check`) installs the app on the adopted data and starts it. */
  async adopt(request: AdoptRequest): Promise<AdoptResult & { status?: AppStatus }> {
    const { registry, bundled, layout } = this.options;
    const id = request.id;
    const loaded = await bundled.load({ source: { kind: 'bundled', id } });
    if (!loaded.bitcoin) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `'${id}' is not a Bitcoin node; only a Bitcoin datadir can be adopted today (bitcoin-core or bitcoin-knots)`,
      );
    }
    const existing = registry.get(id);
    if (existing) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${id}' is already installed (version ${existing.record.version}); nothing was adopted`,
      );
    }
    // Only a chain other than the manifest's own changes the container (and its ports).
    const network = request.network !== loaded.bitcoin.network ? request.network : undefined;
    const settings = requestedSettings(loaded, {
      ...(network !== undefined && { network }),
      ...(request.prune !== undefined && { prune: request.prune }),
    });
    const manifest = settings ? applyBitcoinSettings(loaded, settings) : loaded;
    const datadir = await this.checkVolumes(manifest, request.volumes);
    // Data kept from an earlier install of the same id would be hidden, not used: say so instead.
    const kept = layout.appDataDir(id);
    if ((await pathExists(kept)) && !(await isEmptyTree(kept))) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `Archipelago still keeps data of '${id}' in ${kept} from an earlier install; adopting would hide it. ` +
          `Delete it (archy remove is done; remove the folder) or move it away, then adopt again. Nothing was changed`,
      );
    }
    const facts = await this.options.datadirs.inspectAt(manifest, datadir);
    const bitcoin = manifest.bitcoin!;
    if (bitcoin.network !== 'testnet')
      checkChainMatchesData(id, datadir, bitcoin.network, facts.networksPresent);
    const version =
      request.version ?? this.versionOfBanner(id, facts.lastBanner?.version) ?? this.defaultVersion(manifest);
    const guarded = await this.options.datadirs.guardStart({
      manifest,
      owner: id,
      version,
      facts,
      confirm: {
        ...(request.confirmDowngrade !== undefined && { confirmDowngrade: request.confirmDowngrade }),
        ...(request.confirmResync !== undefined && { confirmResync: request.confirmResync }),
      },
      howToConfirm: `Nothing was adopted or changed; ${datadir} is as it was`,
    });
    const result: AdoptResult = {
      id,
      version,
      volumes: { ...request.volumes },
      checked: true,
      ...(guarded.warning !== undefined && { warning: guarded.warning }),
      ...(facts.lastBanner && { datadirVersion: facts.lastBanner.version }),
    };
    if (request.check) return result;
    const owner = daemonOwner();
    const status = await this.options.installs.install({
      source: { kind: 'bundled', id },
      version,
      ...(network !== undefined && { network }),
      ...(request.prune !== undefined && { prune: request.prune }),
      ...(request.confirmDowngrade !== undefined && { confirmDowngrade: request.confirmDowngrade }),
      ...(request.confirmResync !== undefined && { confirmResync: request.confirmResync }),
      adopt: {
        source: request.source,
        volumes: { ...request.volumes },
        originalOwner: { uid: owner.uid, gid: owner.gid },
        hostServices: request.hostServices ?? [],
        adoptedAt: new Date().toISOString(),
      },
    });
    this.options.log.info({ app: id, volumes: request.volumes, version }, 'adopted data in place');
    return { ...result, checked: false, status };
  }

  /** Stops and removes the app, and gives its adopted data back, where it is. */
  async release(id: string): Promise<ReleaseResult> {
    const adopted = this.options.registry.require(id).record.adopted;
    if (!adopted) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${id}' was not adopted (its data is in Archipelago's data dir); remove it with 'archy remove ${id}'`,
      );
    }
    await this.options.actions.remove(id, { purge: false, release: true });
    this.options.log.info({ app: id, volumes: adopted.volumes }, 'released adopted data');
    return {
      id,
      volumes: adopted.volumes,
      owner: adopted.originalOwner,
      hostServices: adopted.hostServices,
    };
  }

  /**
   * Every volume named is one of the manifest's, and a safe folder the daemon's user owns whole;
   * the Bitcoin datadir's volume must be among them. Returns the datadir's folder.
   */
  private async checkVolumes(manifest: AppManifest, volumes: Record<string, string>): Promise<string> {
    const id = manifest.id;
    const mount = manifest.bitcoin!.datadir;
    const datadirVolume = manifest.volumes.find((volume) => volume.mount === mount)!.name;
    const names = manifest.volumes.map((volume) => volume.name);
    for (const name of Object.keys(volumes)) {
      if (!names.includes(name)) {
        throw new ArchyError(
          RpcErrorCode.InvalidParams,
          `'${id}' has no volume '${name}'; its volumes are: ${names.join(', ')}`,
        );
      }
    }
    const datadir = volumes[datadirVolume];
    if (datadir === undefined) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `adopting '${id}' needs its Bitcoin datadir as the volume '${datadirVolume}'`,
      );
    }
    const owner = daemonOwner();
    for (const [name, path] of Object.entries(volumes)) {
      await assertBoundVolumeSafe(this.options.layout.root, id, name, path);
      const foreign = await foreignOwned(path, owner);
      if (foreign.length > 0) {
        throw new ArchyError(
          RpcErrorCode.Conflict,
          `${path} holds files the daemon's user (${owner.name}) does not own, e.g. ${foreign.join(', ')}; ` +
            `Archipelago hands adopted data to the app's user and gives it back on release, which it can only do ` +
            `for its own files. Give them to it with: sudo chown -R ${owner.name}: ${path} — then adopt again ` +
            `(after release the data stays ${owner.name}'s; chown it back to you if you want). Nothing was changed`,
        );
      }
    }
    return datadir;
  }

  /** The catalog version that is the banner's version (28.4 for "28.4.0"), when the catalog has it. */
  private versionOfBanner(id: string, banner: string | undefined): string | undefined {
    const entry = this.options.catalog?.entry(id);
    const ran = banner === undefined ? undefined : parseBitcoinVersion(banner);
    if (!entry || !ran) return undefined;
    return entry.versions.find((offered) => {
      const parsed = parseBitcoinVersion(offered.version);
      return parsed !== undefined && sameBitcoinVersion(parsed, ran);
    })?.version;
  }

  private defaultVersion(manifest: AppManifest): string {
    return this.options.catalog?.entry(manifest.id)?.version ?? manifest.version;
  }
}
