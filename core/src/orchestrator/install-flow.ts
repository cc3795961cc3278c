// Installing an app and what its plan brings along: plan against the installed apps and the
// reservations of installs in flight, reserve, admit, then per app on its queue — record and
// intent on disk first, ports, the version guard for kept Bitcoin data, data dirs, the verified
// image, network, container, start and first health. Any failure rolls back what this install
// made, including the dependencies it installed; a daemon killed in the middle rolls it back at boot.

import { readFile, rm } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import {
  RpcErrorCode,
  type AdoptedData,
  type AppStatus,
  type BitcoinSettings,
  type InstallPlanRequest,
  type InstallPlanView,
} from '../kernel/index.js';
import { applyBitcoinSettings, requestedSettings } from '../bitcoin/chain-settings.js';
import { chooseCatalogVersion, type CatalogVersion } from '../catalog/index.js';
import type { AppManifest } from '../manifest/index.js';
import type { ImageProvisioner, ProvisionProgress, ImageProvenance } from '../provisioning/index.js';
import { bindingsOf, installPlanView, planInstall } from '../resolver/index.js';
import { assertManifestAllowed } from '../security/policy/index.js';
import { ArchyError } from '../kernel/index.js';
import { pathExists } from '../util/path-exists.js';
import { removeAppTree } from './app-data-removal.js';
import { giveBackAdoptedFolder } from './adopted-data.js';
import type { AppConfigStore } from './app-config.js';
import type { AppRecord, ImportedApp } from './app-record.js';
import { importedApproval } from './imported-approval.js';
import type { AppRegistry } from './app-registry.js';
import type { AppRuntime } from './app-runtime.js';
import type { StartConfirmation } from './bitcoin-datadir.js';
import type { BitcoinStartGuard } from './bitcoin-start-guard.js';
import type { LocalImagesIndex } from './built-images.js';
import type { BundledApps } from './bundled-apps.js';
import type { CatalogService } from './catalog-service.js';
import type { DataLayout } from '../layout/index.js';
import { argsForCreate } from './first-start-args.js';
import { inForeground } from './manifest-of-record.js';
import type { HealthWatch } from './health-watch.js';
import type { IntentJournal } from '../versions/intent-journal.js';
import type { InstallRequest } from './lifecycle.js';
import { stepsByApp } from './plan-steps.js';
import { seedBaseFolder } from './volume-seed.js';
import type { PodmanEffects } from './podman-effects.js';
import type { ReadinessWaits } from './readiness.js';
import type { PauseHook } from './test-pause.js';

export interface InstallFlowOptions {
  registry: AppRegistry;
  effects: PodmanEffects;
  health: HealthWatch;
  readiness: ReadinessWaits;
  guard: BitcoinStartGuard;
  bundled: BundledApps;
  provisioner: ImageProvisioner;
  builtImages: LocalImagesIndex;
  journal: IntentJournal;
  configs: AppConfigStore;
  layout: DataLayout;
  pause: PauseHook;
  catalog?: CatalogService;
  admission?: { admit(app: { id: string; resources: AppManifest['resources'] }): Promise<string[]> };
  /** Starts an installed dependency the plan needs running (the user-start path). */
  startInstalled: (id: string) => Promise<unknown>;
  /** Recreates Bitcoin nodes that must learn a new dependent's RPC login (credential-actions.ts). */
  credentials?: {
    refreshProviders(except?: string): Promise<string[]>;
    forget(id: string): Promise<string[]>;
  };
  log: Logger;
}

/** The catalog version an install runs. */
type SelectedVersion = Pick<CatalogVersion, 'version' | 'image' | 'digest' | 'release'>;

/** What making an install's image needs beyond its record. */
export interface PendingImage {
  release?: CatalogVersion['release'];
  from?: string;
  manifestDir?: string;
}

export class InstallFlow {
  /** What an install in flight needs to make its image (the release, a brought file, the recipe's folder). */
  private readonly pendingImages = new Map<string, PendingImage>();

  constructor(private readonly options: InstallFlowOptions) {}

  private get registry(): AppRegistry {
    return this.options.registry;
  }

  async install(request: InstallRequest): Promise<AppStatus> {
    const { bundled, registry } = this.options;
    const loaded = await bundled.load(request);
    const settings = requestedSettings(loaded, request);
    const applied = settings ? applyBitcoinSettings(loaded, settings) : loaded;
    const manifest = request.adopt ? inForeground(applied) : applied;
    // Refused before anything is reserved, admitted or pulled (container-spec checks it again).
    this.assertPolicyAllows(
      manifest,
      request.source.kind === 'manifest' ? request.source.file : bundled.path(manifest.id),
    );
    const selected = this.selectVersion(manifest, request);
    const available = await bundled.available();
    const targetYaml =
      request.source.kind === 'manifest' ? request.source.yaml : await bundled.read(manifest.id);
    // From planning to reserving every app the plan installs there is no await: a concurrent
    // install plans against these reservations, so two conflicting apps can never both pass.
    const plan = planInstall({
      target: manifest,
      available,
      installed: registry.installedApps(),
      ...(request.choices ? { choices: request.choices } : {}),
    });
    const steps = stepsByApp(plan);
    const manifestOf = (id: string) => available.find((a) => a.manifest.id === id)!.manifest;
    // An imported app goes no further without the user's "yes" to what it gets (nothing reserved yet).
    const imported =
      manifest.origin && importedApproval(manifest, manifest.origin, plan, available, registry, request);
    // The dependencies this plan installs answer to the same policy, before any is reserved.
    for (const step of steps.filter((s) => s.install && s.id !== manifest.id)) {
      this.assertPolicyAllows(manifestOf(step.id), bundled.path(step.id));
    }
    const reserved: AppRuntime[] = [];
    for (const step of steps.filter((s) => s.install)) {
      const isTarget = step.id === manifest.id;
      reserved.push(
        this.reserve(isTarget ? manifest : manifestOf(step.id), {
          ...(isTarget && { selected }),
          ...(isTarget && settings && { bitcoin: settings }),
          ...(isTarget && imported && { imported }),
          ...(isTarget && request.adopt && { adopted: request.adopt }),
          ...(isTarget && request.from !== undefined && { from: request.from }),
          ...(isTarget &&
            request.source.kind === 'manifest' &&
            request.source.dir !== undefined && { manifestDir: request.source.dir }),
          yaml: isTarget ? targetYaml : undefined,
          file: isTarget && request.source.kind === 'manifest' ? request.source.file : bundled.path(step.id),
          bindings: bindingsOf(plan.dependencies[step.id] ?? []),
        }),
      );
    }
    try {
      // After reserving: the other installs in flight are counted against the same headroom.
      for (const runtime of reserved) {
        const warnings =
          (await this.options.admission?.admit({
            id: runtime.record.id,
            resources: runtime.manifest.resources,
          })) ?? [];
        for (const warning of warnings) this.options.log.warn({ app: runtime.record.id }, warning);
      }
      for (const step of steps) {
        await this.options.readiness.dependencies(step.id, step.waitFor);
        const runtime = reserved.find((r) => r.record.id === step.id);
        if (runtime) {
          const isTarget = step.id === manifest.id;
          await registry.onQueue(step.id, () =>
            this.complete(runtime, {
              start: step.start,
              waitForHealthy: isTarget,
              ...(isTarget && { confirm: confirmationOf(request) }),
            }),
          );
        } else if (step.start) {
          await this.options.startInstalled(step.id);
        }
      }
    } catch (error) {
      // The failed app rolled itself back; the dependencies this plan installed go too.
      for (const runtime of reserved.reverse()) {
        if (registry.get(runtime.record.id) === runtime) {
          await registry.onQueue(runtime.record.id, () => this.rollBack(runtime.record));
        }
      }
      throw error;
    }
    return registry.statusOf(registry.require(manifest.id));
  }

  /**
   * What `install` of a bundled app would do, planned from the same inputs (the manifest, the
   * catalog version, the bundled apps, the installed apps and the installs in flight); an open
   * provider choice makes it not ready rather than refused. Reserves and changes nothing.
   */
  async plan(request: InstallPlanRequest): Promise<InstallPlanView> {
    const { bundled, registry } = this.options;
    // The params schema guarantees exactly one of id / manifest.
    const source: InstallRequest['source'] =
      request.manifest !== undefined
        ? { kind: 'manifest', yaml: request.manifest, file: request.manifestFile ?? 'manifest.yml' }
        : { kind: 'bundled', id: request.id! };
    const install: InstallRequest = {
      source,
      ...(request.version !== undefined && { version: request.version }),
    };
    const manifest = await bundled.load(install);
    // The policy's refusal is the install's first answer; its warnings are logged by the install.
    assertManifestAllowed(manifest, {
      file: source.kind === 'manifest' ? source.file : bundled.path(manifest.id),
      grantedCapabilities: [],
    });
    const selected = this.selectVersion(manifest, install);
    return installPlanView({
      target: manifest,
      version: selected.version,
      available: await bundled.available(),
      installed: registry.installedApps(),
      bundled: source.kind === 'bundled',
      ...(request.choices && { choices: request.choices }),
    });
  }

  /** Removes everything an install created, leaving the host as it was before it. */
  async rollBack(record: AppRecord): Promise<void> {
    const { effects, registry } = this.options;
    const id = record.id;
    this.pendingImages.delete(id);
    this.options.health.unwatch(id);
    await effects.removeContainerQuietly(id);
    await effects.removeNetworkQuietly(id);
    // Adopted data goes back to the user who had it, before the record that names it goes.
    for (const path of Object.values(record.adopted?.volumes ?? {})) {
      await giveBackAdoptedFolder(path).catch((error: unknown) =>
        this.options.log.error({ app: id, path, err: error }, (error as Error).message),
      );
    }
    // removeAppTree: the container may have written files as its own (sub-uid) user.
    if (record.createdDataDir) await removeAppTree(this.options.layout.appDataDir(id));
    await registry.deleteRecord(id);
    await this.options.journal.clear(id);
    if (!registry.forget(id)) registry.events.emit('app-removed', { id });
    // A login made for it goes, and a Bitcoin node already told of it is recreated without.
    await this.options.credentials?.forget(id);
  }

  /**
   * Makes the image of the app's record version available (built here, or verified and pulled)
   * and reports progress as `image-progress` events.
   */
  async provideImage(
    runtime: Pick<AppRuntime, 'record' | 'manifest'>,
    inputs: PendingImage & { catalogDigest?: string },
  ): Promise<{ runImage: string; provenance?: ImageProvenance }> {
    const { record, manifest } = runtime;
    const id = record.id;
    const onProgress = (progress: ProvisionProgress): void => {
      if (progress.phase !== 'download') this.options.log.debug({ app: id, ...progress }, 'image progress');
      this.registry.events.emit('image-progress', { id, version: record.version, ...progress });
    };
    const digest = inputs.catalogDigest ?? record.catalogDigest;
    const provided = await this.options.provisioner.provide({
      appId: id,
      title: manifest.name,
      version: record.version,
      image: record.image,
      ...(digest !== undefined && { catalogDigest: digest }),
      ...(inputs.release && { release: inputs.release }),
      ...(inputs.from !== undefined && { from: inputs.from }),
      ...(manifest.build && {
        recipe: { manifestFile: recipeManifestFile(record, inputs.manifestDir), spec: manifest.build },
      }),
      onProgress,
    });
    this.options.builtImages.remember(provided.provenance);
    onProgress({ phase: 'ready', detail: `image ready: ${provided.runImage}` });
    return provided;
  }

  /** Removes an app's config (purge). */
  async removeAppConfig(id: string): Promise<void> {
    await rm(this.options.layout.appConfigFile(id), { force: true });
  }

  /**
   * The version an install runs. A bundled app the catalog lists installs at a catalog version
   * (the one asked for, else the default) whose image is in the manifest's repository; any other
   * app only at its manifest's version.
   */
  private selectVersion(manifest: AppManifest, request: InstallRequest): SelectedVersion {
    const entry = request.source.kind === 'bundled' ? this.options.catalog?.entry(manifest.id) : undefined;
    if (entry) {
      const chosen = chooseCatalogVersion(entry, manifest.image, request.version);
      return {
        version: chosen.version,
        image: chosen.image,
        ...(chosen.digest !== undefined && { digest: chosen.digest }),
        ...(chosen.release !== undefined && { release: chosen.release }),
      };
    }
    if (request.version !== undefined && request.version !== manifest.version) {
      throw new ArchyError(
        RpcErrorCode.NotFound,
        `version ${request.version} of '${manifest.id}' is not available; this manifest provides ${manifest.version}`,
      );
    }
    return { version: manifest.version, image: manifest.image };
  }

  /**
   * The container policy's verdict on a manifest about to be installed: a PolicyError naming
   * `file` and each refused field, else its warnings go to the log. No capability is granted
   * beyond the allowlist: grants will come from the app's signed catalog entry (confirmed by the
   * user) once the catalog format carries them; no entry grants any today.
   */
  private assertPolicyAllows(manifest: AppManifest, file: string): void {
    for (const warning of assertManifestAllowed(manifest, { file, grantedCapabilities: [] })) {
      this.options.log.warn({ app: manifest.id }, warning);
    }
  }

  /** Registers an app as installing, synchronously (see install). */
  private reserve(
    manifest: AppManifest,
    source: {
      yaml: string | undefined;
      file: string;
      bindings: Record<string, string>;
      selected?: SelectedVersion;
      /** A release the user brought (--from). */
      from?: string;
      /** The manifest's folder, absolute: where a `build:` recipe's files are. */
      manifestDir?: string;
      bitcoin?: BitcoinSettings;
      imported?: ImportedApp;
      adopted?: AdoptedData;
    },
  ): AppRuntime {
    const id = manifest.id;
    const existing = this.registry.get(id);
    if (existing) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `'${id}' is already installed (version ${existing.record.version}); remove it first with 'archy remove ${id}' (its data is kept)`,
      );
    }
    const record: AppRecord = {
      id,
      manifestYaml: source.yaml ?? '',
      manifestFile: source.file,
      version: source.selected?.version ?? manifest.version,
      image: source.selected?.image ?? manifest.image,
      phase: 'installing',
      desired: 'running',
      installedAt: new Date().toISOString(),
      createdDataDir: false,
      ...(Object.keys(source.bindings).length > 0 ? { bindings: source.bindings } : {}),
      ...(source.selected?.digest !== undefined && { catalogDigest: source.selected.digest }),
      ...(source.bitcoin && { bitcoin: source.bitcoin }),
      ...(source.imported && { imported: source.imported }),
      ...(source.adopted && { adopted: source.adopted }),
    };
    const runtime: AppRuntime = { record, manifest, transition: 'installing', restartCount: 0 };
    this.registry.adopt(runtime);
    this.pendingImages.set(id, {
      ...(source.selected?.release && { release: source.selected.release }),
      ...(source.from !== undefined && { from: source.from }),
      ...(source.manifestDir !== undefined && { manifestDir: source.manifestDir }),
    });
    this.registry.publish(runtime);
    return runtime;
  }

  private async complete(
    runtime: AppRuntime,
    options: { start: boolean; waitForHealthy: boolean; confirm?: StartConfirmation },
  ): Promise<void> {
    const { effects, guard, readiness, journal, layout, log } = this.options;
    const { record, manifest } = runtime;
    const id = record.id;
    const began = Date.now();
    const step = (name: string) => log.debug({ app: id, step: name, ms: Date.now() - began }, 'install step');
    try {
      if (record.manifestYaml === '') record.manifestYaml = await readFile(record.manifestFile, 'utf8');
      record.createdDataDir = !(await pathExists(layout.appDataDir(id)));
      if (!options.start) record.desired = 'stopped';
      // Written before anything is created: after a crash, boot finds this and rolls back.
      await this.registry.saveRecord(record);
      await journal.write({
        op: 'install',
        app: id,
        to: { id, version: record.version, image: record.image },
        step: 'create',
      });
      await this.options.pause('install-create', id);
      await effects.checkPortsAvailable(manifest);
      const guardNote = await guard.checkKeptData(runtime, options.confirm);
      const seeded = manifest.volumes.some((volume) => volume.seed !== undefined);
      await effects.prepareDataDirs(
        manifest,
        seeded ? seedBaseFolder(id, record.manifestFile, this.pendingImages.get(id)?.manifestDir) : undefined,
      );
      // Verified (or built here from verified inputs) before anything runs; the container then
      // runs exactly that digest or image ID.
      const provided = await this.provideImage(runtime, this.pendingImages.get(id) ?? {});
      record.runImage = provided.runImage;
      step('image');
      await effects.ensureNetwork(id, record.version);
      step('network');
      record.containerId = await effects.create(runtime, argsForCreate(record.firstStartArgs));
      await this.registry.saveRecord(record);
      step('created');
      // bitcoind reads -rpcauth only at start: a node already up is recreated with this app's login.
      const refreshed = (await this.options.credentials?.refreshProviders(id)) ?? [];
      if (refreshed.length > 0)
        log.info({ app: id, restarted: refreshed }, 'restarted for the new RPC login');
      if (options.start) await readiness.startAndWait(runtime, { waitForHealthy: options.waitForHealthy });
      step('ready');
      // Adopted data now belongs to the container's user: a crash from here until the phase below
      // is saved rolls the adoption back at boot and gives the data back (crash-safety tests stop here).
      if (record.adopted) await this.options.pause('adopt-running', id);
      record.phase = 'installed';
      await this.registry.saveRecord(record);
      await journal.clear(id);
      await this.registry.writeDefaultAppConfig(id);
      if (record.bitcoin) await this.options.configs.update(id, { prune: record.bitcoin.prune ?? null });
      await guard.markVersionIfHealthy(runtime);
      // A confirmed downgrade onto kept data started with a one-time reindex: once healthy the
      // container goes without it (as after a set-version), and the install answers when it is back.
      if (record.firstStartArgs && runtime.health?.status === 'healthy') {
        await guard.settleFirstStartArgs(id, { healthy: true });
        await readiness.healthy(runtime);
      }
      if (runtime.message === guardNote) runtime.message = undefined;
      this.pendingImages.delete(id);
      runtime.transition = undefined;
      this.registry.publish(runtime);
      log.info({ app: id, version: record.version }, 'installed');
    } catch (error) {
      log.warn({ app: id, err: error }, 'install failed; rolling back');
      await this.rollBack(record);
      throw error;
    }
  }
}

/** The manifest file whose folder holds a recipe's files: absolute, or refused. */
function recipeManifestFile(record: AppRecord, manifestDir: string | undefined): string {
  if (manifestDir !== undefined) return join(manifestDir, basename(record.manifestFile));
  if (isAbsolute(record.manifestFile)) return record.manifestFile;
  throw new ArchyError(
    RpcErrorCode.InvalidParams,
    `'${record.id}' builds its image from files beside its manifest, but the daemon was not told where ` +
      `${record.manifestFile} is; install it with the CLI (which sends the folder) or give an absolute path`,
  );
}

/** The confirmations an install request carries for the version guard. */
function confirmationOf(request: InstallRequest): StartConfirmation {
  return {
    ...(request.confirmDowngrade !== undefined && { confirmDowngrade: request.confirmDowngrade }),
    ...(request.confirmResync !== undefined && { confirmResync: request.confirmResync }),
  };
}
