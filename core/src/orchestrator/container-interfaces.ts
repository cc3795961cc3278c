// Where interfaces meet a container's create spec (podman-effects.ts create() calls this once):
// a Bitcoin node gets its RPC secrets plus one login per bound dependent, the whitelist and ZMQ
// arguments (bitcoin-rpc.ts); a dependent gets the env and secret files of what its dependencies
// export (interfaces/); then the manifest's ${ARCHY_…} references are made real against all of
// that (container-references.ts). Also how the daemon reads a provider's files (a Lightning
// node's certificate and macaroon) that belong to its container's user.

import type { Logger } from 'pino';
import {
  InterfaceWiring,
  RPC_LOGINS_LABEL,
  type InstalledView,
  type VolumeFileReader,
} from '../interfaces/index.js';
import type { DataLayout } from '../layout/index.js';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { allowedReferences } from '../manifest/index.js';
import type { ContainerCreateSpec, ImageInspect } from '../podman/index.js';
import { dependencyLinks, type InstalledApp } from '../resolver/index.js';
import {
  prepareSecretInjection,
  type PodmanSecretsApi,
  type SecretStore,
} from '../security/secrets/index.js';
import { ensureAppSecret, isAppSecretReference } from './app-secrets.js';
import { runInAppTree } from './app-tree-client.js';
import type { ReadReply } from './app-tree-ops.js';
import type { AppRuntime } from './app-runtime.js';
import { numericUser, withBitcoinRpcSecrets } from './bitcoin-rpc.js';
import { hasReferences, withResolvedReferences } from './container-references.js';
import { TOR_PLAIN_REFERENCES } from './tor-mode.js';

/** A macaroon, a certificate or a rune: far larger is not one. */
const EXPORTED_FILE_MAX_BYTES = 64 * 1024;
const SECRETS_DIR = '/run/secrets';

export interface ContainerInterfacesDeps {
  podman: PodmanSecretsApi;
  layout: DataLayout;
  secrets?: SecretStore;
  labels: Record<string, string>;
  installedApps: () => InstalledApp[];
  log?: Logger;
  /** The node's host name: ARCHY_DEVICE_HOSTNAME (see device-hostname.ts). */
  deviceHostname?: string;
  /** The image's config, for the argv a secret reference wraps when the manifest names none. */
  inspectImage?: (reference: string) => Promise<ImageInspect | undefined>;
}

/** The /run/secrets tmpfs a container needs once it mounts a secret (see bitcoin-rpc.ts for why). */
function withSecretsDir(mounts: NonNullable<ContainerCreateSpec['mounts']>): ContainerCreateSpec['mounts'] {
  if (mounts.some((mount) => mount.Destination === SECRETS_DIR)) return mounts;
  return [
    ...mounts,
    {
      Type: 'tmpfs',
      Source: 'tmpfs',
      Destination: SECRETS_DIR,
      Options: ['rw', 'nosuid', 'nodev', 'noexec', 'size=64k', 'mode=0755'],
    },
  ];
}

/** The installed apps as the interfaces module reads them. */
export function installedView(installed: readonly InstalledApp[]): InstalledView {
  const manifests = new Map(installed.map((app) => [app.id, app.manifest]));
  return { manifest: (id) => manifests.get(id), dependencies: dependencyLinks(installed).dependencies };
}

/** Reads files of an app's volume as its owner, through the helper in the user namespace; never follows a link. */
export function volumeFileReader(layout: DataLayout): VolumeFileReader {
  return async (appId, volume, paths) => {
    const root = layout.volumeDir(appId, volume);
    const reply = await runInAppTree({
      op: 'read',
      root,
      files: paths.map((path) => ({ path, maxBytes: EXPORTED_FILE_MAX_BYTES })),
      dirs: [],
      firstNames: [],
    });
    if (!reply.ok) throw new Error(`could not read ${root}: ${(reply as { message: string }).message}`);
    const read = reply as ReadReply;
    if (read.symlinks.length > 0) {
      throw new Error(
        `${root}/${read.symlinks[0]} is a symbolic link; the daemon never follows links in app data`,
      );
    }
    return new Map(
      Object.entries(read.files).map(([path, file]) => [path, Buffer.from(file.data, 'base64')]),
    );
  };
}

export function interfaceWiring(deps: ContainerInterfacesDeps): InterfaceWiring | undefined {
  if (!deps.secrets) return undefined;
  return new InterfaceWiring({
    store: deps.secrets,
    podman: deps.podman,
    labels: deps.labels,
    readVolumeFiles: volumeFileReader(deps.layout),
  });
}

/**
 * The create spec with everything interfaces add: for a Bitcoin node its RPC secrets (as
 * before) plus its dependents' logins and the -rpcwhitelist/-zmqpub arguments; for a dependent
 * its dependencies' env and secret files. `extraArgs` (one-time start arguments) go after the
 * manifest's command.
 */
export async function withContainerInterfaces(
  base: ContainerCreateSpec,
  runtime: Pick<AppRuntime, 'manifest' | 'record'>,
  extraArgs: readonly string[],
  deps: ContainerInterfacesDeps,
  /**
   * Which service this is: only the main service of a Bitcoin node gets the node's logins, and a
   * service gets only the dependencies it `uses`. Absent: a single-container app's one service.
   */
  service: { main: boolean; uses: readonly string[] } = {
    main: true,
    uses: runtime.manifest.services[0]?.uses ?? [],
  },
): Promise<ContainerCreateSpec> {
  const { manifest } = runtime;
  const id = manifest.id;
  const wiring = interfaceWiring(deps);
  const installed = installedView(deps.installedApps());
  let spec = base;
  if (service.main && manifest.bitcoin && deps.secrets) {
    const additions = await wiring!.providerAdditions(id, installed);
    spec = await withBitcoinRpcSecrets(
      spec,
      manifest,
      { podman: deps.podman, store: deps.secrets, labels: deps.labels },
      extraArgs,
      additions ?? undefined,
    );
    if (additions) spec = { ...spec, labels: { ...spec.labels, [RPC_LOGINS_LABEL]: additions.digest } };
  } else if (extraArgs.length > 0) {
    spec = { ...spec, command: [...(manifest.command ?? []), ...extraArgs] };
  }
  const owner = numericUser(spec.user ?? manifest.security.user);
  const added = wiring
    ? await wiring.dependentAdditions(id, installed, owner, service.uses)
    : { env: {}, secrets: [], secretReferences: {} };
  // Every container learns its app's id and the node's host name (the plain ARCHY_ references).
  const own = {
    ARCHY_APP_ID: id,
    ...(deps.deviceHostname !== undefined && { ARCHY_DEVICE_HOSTNAME: deps.deviceHostname }),
  };
  spec = {
    ...spec,
    // The manifest's own env still wins, as it does over dependency-env.ts's values.
    env: { ...own, ...spec.env, ...added.env, ...manifest.env },
    ...(added.secrets.length > 0 && {
      // Podman 4.3 cannot make a secret's mount point in a read-only root: a tmpfs of its own (as bitcoin-rpc.ts).
      mounts: withSecretsDir(spec.mounts ?? []),
      secrets: [...(spec.secrets ?? []), ...added.secrets],
    }),
  };
  if (!hasReferences(spec)) return spec;
  // The values references resolve to: what the container was given, never the manifest's own env.
  const allowed = allowedReferences(service.uses);
  const injected = Object.entries({ ...(base.env ?? {}), ...added.env }).filter(
    ([name]) => allowed.get(name) === 'plain' && manifest.env[name] === undefined,
  );
  // The app's own Tor's addresses resolve, but are not put in every container's env.
  const plain = { ...Object.fromEntries(injected), ...own, ...TOR_PLAIN_REFERENCES };
  const secretMounts: NonNullable<ContainerCreateSpec['secrets']> = [];
  const resolved = await withResolvedReferences(
    spec,
    { what: service.main ? `'${id}'` : `the container ${spec.name ?? ''} of '${id}'`, allowed, plain },
    {
      secretFiles: async (names) => {
        const files: Record<string, string> = {};
        for (const name of names) {
          const path = added.secretReferences[name];
          if (path !== undefined) files[name] = path;
          else if (isAppSecretReference(name) && deps.secrets) {
            const stored = await ensureAppSecret(deps.secrets, id, name);
            const injection = await prepareSecretInjection(
              deps.podman,
              deps.secrets,
              id,
              [{ name: stored, file: { target: stored, ...owner, mode: 0o400 } }],
              { labels: deps.labels },
            );
            secretMounts.push(...injection.spec.secrets);
            files[name] = `${SECRETS_DIR}/${stored}`;
          } else {
            throw new ArchyError(
              RpcErrorCode.Conflict,
              `'${id}' references \${${name}}, a secret this node cannot hand over` +
                (deps.secrets
                  ? ' (the dependency is not bound)'
                  : ' (the daemon runs without a secret store)') +
                '; install the dependency, or restart archipelagod with its secret store',
            );
          }
        }
        return files;
      },
      imageArgv: async () => {
        const config = (await deps.inspectImage?.(spec.image))?.Config;
        return { entrypoint: config?.Entrypoint ?? [], cmd: config?.Cmd ?? [] };
      },
    },
  );
  if (secretMounts.length === 0) return resolved;
  return {
    ...resolved,
    mounts: withSecretsDir(resolved.mounts ?? []),
    secrets: [...(resolved.secrets ?? []), ...secretMounts],
  };
}
