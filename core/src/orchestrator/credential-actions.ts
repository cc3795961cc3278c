// What changes to interface credentials mean for running containers. bitcoind reads -rpcauth only
// at start, and Podman copies a secret file into a container only when it is created, so:
// - a dependent installed or removed, or a login rotated: every Bitcoin node whose container was
//   made with other logins (its rpc-logins label says which) is recreated — and started again if
//   it ran — and its other running dependents restarted, so they reconnect;
// - a rotated dependent is recreated itself, to get its new password file.
// Also `package.connection-info`: endpoints and (revealed on request) credentials.

import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import {
  ArchyError,
  RpcErrorCode,
  type ConnectionInfo,
  type ConnectionInfoRequest,
  type RotateCredentialsResult,
} from '../kernel/index.js';
import {
  bitcoinNodeExport,
  connectionInfo,
  deleteDependentLogin,
  dependentLogin,
  providedExports,
  readLightningFiles,
  rotateDependentLogin,
  RPC_LOGINS_LABEL,
  type LightningNodeExport,
} from '../interfaces/index.js';
import type { DataLayout } from '../layout/index.js';
import { splitReferences, type AppManifest } from '../manifest/index.js';
import { appSecretValue, isAppSecretReference } from './app-secrets.js';
import type { PodmanSecretsApi, SecretStore } from '../security/secrets/index.js';
import type { AppRegistry } from './app-registry.js';
import type { AppRuntime } from './app-runtime.js';
import { bitcoinRpcCredentials } from './bitcoin-rpc.js';
import { installedView, interfaceWiring, volumeFileReader } from './container-interfaces.js';
import type { PodmanEffects } from './podman-effects.js';
import type { ReadinessWaits } from './readiness.js';
import type { Supervisor } from './supervisor.js';
import { LABEL } from '../podman/naming.js';

export interface CredentialActionsOptions {
  registry: AppRegistry;
  effects: PodmanEffects;
  readiness: ReadinessWaits;
  supervisor: Supervisor;
  layout: DataLayout;
  podman: PodmanSecretsApi;
  secrets?: SecretStore;
  log: Logger;
}

export class CredentialActions {
  constructor(private readonly options: CredentialActionsOptions) {}

  private get registry(): AppRegistry {
    return this.options.registry;
  }

  /**
   * Recreates each Bitcoin node whose container does not carry the logins it should now (after
   * an install, a remove, a rotation), starting it again if it ran; then restarts its other
   * running dependents. `except`: the app whose change this is (it is being started, or gone).
   * Returns the apps recreated or restarted, in that order.
   */
  async refreshProviders(except?: string): Promise<string[]> {
    const secrets = this.options.secrets;
    if (!secrets) return [];
    const touched: string[] = [];
    const providers = this.registry
      .installedApps()
      .filter((app) => app.id !== except && bitcoinNodeExport(app.manifest) !== undefined);
    for (const provider of providers) {
      const refreshed = await this.registry.onQueue(provider.id, () => this.refreshProvider(provider.id));
      if (!refreshed) continue;
      touched.push(provider.id);
      const wiring = interfaceWiring(this.wiringDeps())!;
      const view = installedView(this.registry.installedApps());
      for (const dependent of wiring.boundBitcoinDependents(provider.id, view)) {
        if (dependent.id === except) continue;
        const restarted = await this.registry.onQueue(dependent.id, async () => {
          const runtime = this.registry.get(dependent.id);
          if (!runtime?.container?.running) return false;
          await this.options.effects.restart(runtime);
          return true;
        });
        if (restarted) touched.push(dependent.id);
      }
    }
    return touched;
  }

  /** On the provider's queue: recreate (and restart) when its logins changed; false when they did not. */
  private async refreshProvider(id: string): Promise<boolean> {
    const { effects, log } = this.options;
    const runtime = this.registry.get(id);
    if (!runtime?.container) return false;
    const wiring = interfaceWiring(this.wiringDeps())!;
    const additions = await wiring.providerAdditions(id, installedView(this.registry.installedApps()));
    const inspect = await effects.inspectOwned(id);
    if (!inspect || !additions || inspect.Config?.Labels?.[RPC_LOGINS_LABEL] === additions.digest)
      return false;
    const wasRunning = runtime.container.running;
    const previous = runtime.transition;
    runtime.transition = 'updating';
    this.registry.publish(runtime);
    try {
      // A node's dependents need it answering again before they are restarted: wait for healthy.
      await this.recreateKeepingState(runtime, 'healthy');
    } finally {
      runtime.transition = previous;
      this.registry.publish(runtime);
    }
    log.info(
      { app: id, dependents: additions.dependents, restarted: wasRunning },
      'RPC logins changed: recreated',
    );
    return true;
  }

  /**
   * A Core ⇄ Knots switch: every app bound to `fromId` is bound to `toId` (its record saved), so the
   * target's container is made with their logins. Also run backwards when the switch is undone.
   */
  async rebind(fromId: string, toId: string): Promise<void> {
    for (const runtime of this.registry.all()) {
      const bindings = runtime.record.bindings;
      if (!bindings || !Object.values(bindings).includes(fromId)) continue;
      runtime.record.bindings = Object.fromEntries(
        Object.entries(bindings).map(([requested, id]) => [requested, id === fromId ? toId : id]),
      );
      await this.registry.saveRecord(runtime.record);
    }
  }

  /**
   * After a switch: each app bound to the node is recreated (it joins the new node's network and
   * gets its env again) and started again if it ran. Returns those recreated.
   */
  async reattach(providerId: string): Promise<string[]> {
    const done: string[] = [];
    for (const dependent of this.registry.dependentsOf(providerId)) {
      await this.registry.onQueue(dependent, async () => {
        const runtime = this.registry.get(dependent);
        if (!runtime?.container) return;
        await this.recreateKeepingState(runtime);
        done.push(dependent);
      });
    }
    return done;
  }

  /** After a remove: the app's logins go (whether or not its data is purged), and its providers forget them. */
  async forget(id: string): Promise<string[]> {
    const secrets = this.options.secrets;
    if (!secrets) return [];
    await deleteDependentLogin(secrets, id);
    return this.refreshProviders(id);
  }

  /** `package.rotate-credentials`: a new RPC password for the app at every Bitcoin node it uses. */
  async rotate(id: string): Promise<RotateCredentialsResult> {
    const secrets = this.requireSecrets();
    const runtime = this.registry.require(id);
    const view = installedView(this.registry.installedApps());
    const uses = (view.dependencies[id] ?? []).filter((dependency) => {
      const provider = view.manifest(dependency.appId);
      return provider !== undefined && bitcoinNodeExport(provider) !== undefined;
    });
    if (uses.length === 0) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `'${id}' uses no Bitcoin node, so it has no RPC login to rotate`,
      );
    }
    const login = await this.registry.onQueue(id, () => rotateDependentLogin(secrets, id));
    const restarted = await this.refreshProviders(id);
    // Its own container holds the old password file (a secret file is copied at create).
    await this.registry.onQueue(id, () => this.recreateKeepingState(runtime));
    if (runtime.container) restarted.push(id);
    this.options.log.info({ app: id }, 'RPC login rotated');
    return {
      id,
      rotated: uses.map((use) => ({ interface: use.requested, provider: use.appId, user: login.user })),
      restarted,
    };
  }

  /**
   * Makes the app's containers again (a new secret file, new logins) and starts them again if
   * they ran; `wait`: until healthy (a node others depend on) or until the start settles.
   */
  private async recreateKeepingState(
    runtime: AppRuntime,
    wait: 'healthy' | 'settle' = 'settle',
  ): Promise<void> {
    const { effects, readiness, supervisor } = this.options;
    if (!runtime.container) return;
    const wasRunning = runtime.container.running;
    if (wasRunning) {
      supervisor.reset(runtime.record.id);
      await effects.stop(runtime);
    }
    await effects.recreate(runtime);
    if (wasRunning) {
      await effects.startContainer(runtime);
      await (wait === 'healthy' ? readiness.firstHealthy(runtime) : readiness.settle(runtime));
    }
  }

  /** `package.connection-info`. */
  async connectionInfo(request: ConnectionInfoRequest): Promise<ConnectionInfo> {
    const runtime = this.registry.require(request.id);
    const manifest = runtime.manifest;
    const reveal = request.reveal ?? false;
    const host = request.host ?? defaultHost();
    const secrets = this.options.secrets;
    const adminLogin = bitcoinNodeExport(manifest)
      ? await bitcoinRpcCredentials(secrets, manifest.id)
      : undefined;
    const lightning = providedExports(manifest).get('lightning-node') as LightningNodeExport | undefined;
    const files = lightning ? await this.lightningFiles(manifest.id, lightning) : undefined;
    const view = installedView(this.registry.installedApps());
    const logins = [];
    for (const dependency of view.dependencies[manifest.id] ?? []) {
      const provider = view.manifest(dependency.appId);
      if (!provider || !bitcoinNodeExport(provider) || !secrets) continue;
      const login = await dependentLogin(secrets, manifest.id);
      if (login) logins.push({ requested: dependency.requested, provider, ...login });
    }
    const webLogin = await this.webLogin(manifest, reveal);
    return connectionInfo({
      manifest,
      host,
      reveal,
      ...(adminLogin && { adminLogin }),
      ...(files && { lightning: files }),
      logins,
      ...(webLogin && { webLogin }),
    });
  }

  /**
   * The app's web login (manifest `webLogin:`) with its references resolved: ${ARCHY_APP_PASSWORD}
   * from the app's SecretStore (made now if the app never used it), and read only when revealing.
   */
  private async webLogin(
    manifest: AppManifest,
    reveal: boolean,
  ): Promise<{ username?: string; password?: string } | undefined> {
    const login = manifest.webLogin;
    if (!login) return undefined;
    // The user name is shown unrevealed: only plain references are resolved in it.
    const resolve = async (text: string, secrets = true): Promise<string> => {
      let value = '';
      for (const part of splitReferences(text)) {
        if ('literal' in part) value += part.literal;
        else if (part.reference === 'ARCHY_APP_ID') value += manifest.id;
        else if (part.reference === 'ARCHY_DEVICE_HOSTNAME') value += this.options.effects.deviceHostname;
        else if (secrets && isAppSecretReference(part.reference))
          value += await appSecretValue(this.requireSecrets(), manifest.id, part.reference);
        else value += `\${${part.reference}}`;
      }
      return value;
    };
    return {
      ...(login.username !== undefined && { username: await resolve(login.username, false) }),
      ...(login.password !== undefined && { password: reveal ? await resolve(login.password) : '' }),
    };
  }

  /** A Lightning node's certificate and credential as its container wrote them (absent ones left out). */
  private async lightningFiles(
    id: string,
    exported: LightningNodeExport,
  ): Promise<{ certPem?: string; credential?: Buffer }> {
    const out: { certPem?: string; credential?: Buffer } = {};
    try {
      const files = await readLightningFiles(volumeFileReader(this.options.layout), id, exported);
      if (files.tlsCert) out.certPem = files.tlsCert.toString('utf8');
      if (files.credential) out.credential = files.credential;
    } catch (error) {
      this.options.log.warn({ app: id, err: error }, 'could not read the Lightning node’s files');
    }
    return out;
  }

  private requireSecrets(): SecretStore {
    if (!this.options.secrets) {
      throw new ArchyError(
        RpcErrorCode.InternalError,
        'this daemon was started without a secret store, so it holds no credentials; restart archipelagod',
      );
    }
    return this.options.secrets;
  }

  private wiringDeps() {
    return {
      podman: this.options.podman,
      layout: this.options.layout,
      labels: { [LABEL.dataDir]: this.options.layout.root },
      installedApps: () => this.registry.installedApps(),
      ...(this.options.secrets && { secrets: this.options.secrets }),
    };
  }
}

/** The node's first non-loopback IPv4 address, what a device on the LAN reaches it at; else localhost. */
export function defaultHost(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}
