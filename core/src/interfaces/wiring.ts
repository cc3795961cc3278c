// The effects of interfaces on containers: which of the installed apps a provider serves, the
// logins it must accept, and the env and secret files a dependent's container gets. The deciding
// parts are pure (provided.ts, provider-args.ts, dependent-env.ts); this file fetches and creates
// (the SecretStore, Podman secrets, the provider's files) and is called from the one place where
// a container's create spec is made.

import { createHash } from 'node:crypto';
import { RpcErrorCode, ArchyError } from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';
import { LABEL, type SecretMount } from '../podman/index.js';
import type { ResolvedDependency } from '../resolver/index.js';
import {
  podmanSecretName,
  prepareSecretInjection,
  SECRET_NAME_LABEL,
  type PodmanSecretsApi,
  type SecretStore,
  type SecretUse,
} from '../security/secrets/index.js';
import { envPrefix, exportEnv, SECRETS_DIR, secretFilesOf } from './dependent-env.js';
import { bitcoinNodeExport, exportFor, type LightningNodeExport } from './provided.js';
import { providerArgs, type BoundDependent } from './provider-args.js';
import {
  DEPENDENT_RPC_COOKIE,
  DEPENDENT_RPC_PASSWORD,
  ensureDependentLogin,
  rpcauthLine,
} from './rpc-credentials.js';

/** The installed apps as the wiring needs them: manifests by id and who uses whom. */
export interface InstalledView {
  manifest(id: string): AppManifest | undefined;
  /** Every installed app's resolved dependencies (the resolver's dependencyLinks). */
  dependencies: Readonly<Record<string, readonly ResolvedDependency[]>>;
}

/** Reads files of an app's volume (owned by its container's user); absent files are left out. */
export type VolumeFileReader = (
  appId: string,
  volume: string,
  paths: readonly string[],
) => Promise<Map<string, Buffer>>;

export interface InterfaceWiringOptions {
  store: SecretStore;
  podman: PodmanSecretsApi;
  /** Put on every Podman secret made here (the daemon's data-dir label). */
  labels: Record<string, string>;
  readVolumeFiles: VolumeFileReader;
}

/** What a Bitcoin node's container gets for its dependents. */
export interface ProviderAdditions {
  /** One rpcauth line per bound dependent (their HMACs, never passwords); empty when none. */
  rpcauthLines: string[];
  /** -rpcwhitelist / -rpcwhitelistdefault / -zmqpub arguments: plain, visible in inspect. */
  args: string[];
  /** The dependents whose logins are in `rpcauthLines`. */
  dependents: string[];
  /**
   * Names this set of logins and arguments without revealing any (a hash over each dependent's id
   * and a hash of its password): the container is labelled with it, so a provider whose container
   * predates an install, a remove or a rotation is recognized and recreated.
   */
  digest: string;
}

/** The label carrying ProviderAdditions.digest on a Bitcoin node's container. */
export const RPC_LOGINS_LABEL = 'io.archipelago.rpc-logins';

/** What a dependent's container gets for its dependencies. */
export interface DependentAdditions {
  env: Record<string, string>;
  secrets: SecretMount[];
  /**
   * The secret references (`${ARCHY_DEP_<N>_RPC_PASSWORD}`) its secret files can resolve: name →
   * the file inside the container holding the value.
   */
  secretReferences: Record<string, string>;
}

/** A dependency's `files:` key that names no file its provider hands over. */
function unknownFile(dependentId: string, requested: string, key: string, offered: string[]): ArchyError {
  return new ArchyError(
    RpcErrorCode.Conflict,
    `'${dependentId}' asks for the file '${key}' of its dependency '${requested}' (dependencies[].files), ` +
      `which hands over ${offered.length > 0 ? offered.join(', ') : 'no files'}; remove '${key}' from files:`,
  );
}

export class InterfaceWiring {
  constructor(private readonly options: InterfaceWiringOptions) {}

  /** The dependents a provider serves over bitcoin-node: their ids and what each may call. */
  boundBitcoinDependents(providerId: string, installed: InstalledView): BoundDependent[] {
    const provider = installed.manifest(providerId);
    if (!provider || !bitcoinNodeExport(provider)) return [];
    const bound: BoundDependent[] = [];
    for (const [dependent, resolved] of Object.entries(installed.dependencies)) {
      if (dependent === providerId) continue;
      const uses = resolved.filter((dependency) => dependency.appId === providerId);
      if (uses.length === 0) continue;
      const specs = installed.manifest(dependent)?.dependencies ?? [];
      // One login per dependent; its whitelist is every method any of its uses names, or none
      // (every method) when one of them names none.
      const lists = uses.map((use) => specs.find((spec) => spec.id === use.requested)?.rpcMethods);
      const rpcMethods = lists.some((list) => list === undefined)
        ? undefined
        : [...new Set(lists.flatMap((list) => list ?? []))];
      bound.push({ id: dependent, user: `archy-${dependent}`, ...(rpcMethods && { rpcMethods }) });
    }
    return bound.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * A Bitcoin node's additions: every bound dependent's login (made now if it has none yet — a
   * dependent being installed), as rpcauth lines, plus the whitelist and ZMQ arguments.
   */
  async providerAdditions(
    providerId: string,
    installed: InstalledView,
  ): Promise<ProviderAdditions | undefined> {
    const provider = installed.manifest(providerId);
    const exported = provider && bitcoinNodeExport(provider);
    if (!exported) return undefined;
    const dependents = this.boundBitcoinDependents(providerId, installed);
    const rpcauthLines: string[] = [];
    const digest = createHash('sha256');
    for (const dependent of dependents) {
      const login = await ensureDependentLogin(this.options.store, dependent.id);
      rpcauthLines.push(rpcauthLine(login));
      digest.update(`${dependent.id}\0${createHash('sha256').update(login.password).digest('hex')}\0`);
    }
    const args = providerArgs(exported, dependents);
    digest.update(args.join('\0'));
    return {
      rpcauthLines,
      args,
      dependents: dependents.map((d) => d.id),
      digest: digest.digest('hex').slice(0, 32),
    };
  }

  /**
   * A dependent's env and secret files for each dependency whose provider exports something.
   * `owner`: the container's numeric user, so the files are readable by it alone (mode 0400).
   */
  async dependentAdditions(
    dependentId: string,
    installed: InstalledView,
    owner: { uid?: number; gid?: number },
    /** The dependencies (requested names) the container's service uses; absent: all of them. */
    used?: readonly string[],
  ): Promise<DependentAdditions> {
    const env: Record<string, string> = {};
    const secretReferences: Record<string, string> = {};
    const uses: SecretUse[] = [];
    const direct: SecretMount[] = [];
    const file = (target: string) => ({ target, ...owner, mode: 0o400 });
    const dependencies = (installed.dependencies[dependentId] ?? []).filter(
      (dependency) => used === undefined || used.includes(dependency.requested),
    );
    for (const dependency of dependencies) {
      const provider = installed.manifest(dependency.appId);
      if (!provider) continue;
      const exported = exportFor(provider, dependency.requested);
      if (!exported) continue;
      const files = secretFilesOf(dependency.requested, exported);
      // Where the dependent's manifest ALSO wants these files (an imported app's own paths).
      const alsoAt = installed
        .manifest(dependentId)
        ?.dependencies.find((spec) => spec.id === dependency.requested)?.files;
      for (const key of Object.keys(alsoAt ?? {}))
        if (!(key in files)) throw unknownFile(dependentId, dependency.requested, key, Object.keys(files));
      if (exported.kind === 'bitcoin-node') {
        const login = await ensureDependentLogin(this.options.store, dependentId);
        Object.assign(env, exportEnv(dependency.requested, dependency.host, exported, login));
        uses.push({ name: DEPENDENT_RPC_PASSWORD, file: file(files.password!.target) });
        uses.push({ name: DEPENDENT_RPC_COOKIE, file: file(files.cookie!.target) });
        if (alsoAt?.password) uses.push({ name: DEPENDENT_RPC_PASSWORD, file: file(alsoAt.password) });
        if (alsoAt?.cookie) uses.push({ name: DEPENDENT_RPC_COOKIE, file: file(alsoAt.cookie) });
        secretReferences[`${envPrefix(dependency.requested)}_RPC_PASSWORD`] =
          `${SECRETS_DIR}/${files.password!.target}`;
      } else if (exported.kind === 'lightning-node') {
        Object.assign(env, exportEnv(dependency.requested, dependency.host, exported));
        const mounts = await this.lightningFiles(
          dependentId,
          dependency.appId,
          dependency.requested,
          exported,
          owner,
        );
        direct.push(...mounts);
        // The same Podman secret once more, at the path the manifest names (read-only, as every secret mount).
        for (const [key, path] of Object.entries(alsoAt ?? {})) {
          const mount = mounts.find((one) => one.Target === files[key]!.target);
          if (mount && path !== undefined) direct.push({ ...mount, Target: path });
        }
      } else {
        Object.assign(env, exportEnv(dependency.requested, dependency.host, exported));
      }
    }
    // The same stored secret mounted twice (two bitcoin-node dependencies) is one Podman secret.
    const injection = await prepareSecretInjection(
      this.options.podman,
      this.options.store,
      dependentId,
      uses,
      {
        labels: this.options.labels,
      },
    );
    return { env, secrets: [...injection.spec.secrets, ...direct], secretReferences };
  }

  /**
   * The Lightning node's certificate and credential, read from its volume now and handed to the
   * dependent as Podman secrets of its own (so they go with it). Refused, naming the file, while
   * the node has not written them yet (LND writes its macaroon once its wallet exists).
   */
  private async lightningFiles(
    dependentId: string,
    providerId: string,
    requested: string,
    exported: LightningNodeExport,
    owner: { uid?: number; gid?: number },
  ): Promise<SecretMount[]> {
    const files = await readLightningFiles(this.options.readVolumeFiles, providerId, exported);
    const wanted = [
      ...(exported.tlsCert ? [{ key: 'tls-cert', spec: exported.tlsCert, data: files.tlsCert }] : []),
      ...(exported.credential
        ? [{ key: exported.credential.kind, spec: exported.credential, data: files.credential }]
        : []),
    ];
    const mounts: SecretMount[] = [];
    for (const { key, spec, data } of wanted) {
      if (data === undefined || data.length === 0) {
        throw new ArchyError(
          RpcErrorCode.Conflict,
          `'${providerId}' has not written ${spec.path} (volume ${spec.volume}) yet, which '${dependentId}' needs; ` +
            `finish setting up ${providerId} (e.g. create its wallet), then start ${dependentId} again`,
        );
      }
      const name = `${requested}-${key}`;
      const podmanName = podmanSecretName(dependentId, name);
      await this.options.podman.removeSecret(podmanName);
      await this.options.podman.createSecret(podmanName, data, {
        ...this.options.labels,
        [LABEL.app]: dependentId,
        [SECRET_NAME_LABEL]: name,
      });
      mounts.push({
        Source: podmanName,
        Target: name,
        ...(owner.uid !== undefined && { UID: owner.uid }),
        ...(owner.gid !== undefined && { GID: owner.gid }),
        Mode: 0o400,
      });
    }
    return mounts;
  }
}

/**
 * A Lightning node's exported files as its container wrote them — the TLS certificate and the
 * credential (macaroon or rune) — read from its volumes; a file not written yet is absent. The
 * one reader for both a dependent's secret files and the owner's connection details.
 */
export async function readLightningFiles(
  read: VolumeFileReader,
  providerId: string,
  exported: LightningNodeExport,
): Promise<{ tlsCert?: Buffer; credential?: Buffer }> {
  const one = async (spec: { volume: string; path: string } | undefined) =>
    spec ? (await read(providerId, spec.volume, [spec.path])).get(spec.path) : undefined;
  const tlsCert = await one(exported.tlsCert);
  const credential = await one(exported.credential);
  return { ...(tlsCert && { tlsCert }), ...(credential && { credential }) };
}
