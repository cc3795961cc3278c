// Where interfaces meet a container's create spec (podman-effects.ts create() calls this once):
// a Bitcoin node gets its RPC secrets plus one login per bound dependent, the whitelist and ZMQ
// arguments (bitcoin-rpc.ts); a dependent gets the env and secret files of what its dependencies
// export (interfaces/). Also how the daemon reads a provider's files (a Lightning node's
// certificate and macaroon) that belong to its container's user.

import type { Logger } from 'pino';
import {
  InterfaceWiring,
  RPC_LOGINS_LABEL,
  type InstalledView,
  type VolumeFileReader,
} from '../interfaces/index.js';
import type { DataLayout } from '../layout/index.js';
import type { ContainerCreateSpec } from '../podman/index.js';
import { dependencyLinks, type InstalledApp } from '../resolver/index.js';
import type { PodmanSecretsApi, SecretStore } from '../security/secrets/index.js';
import { runInAppTree } from './app-tree-client.js';
import type { ReadReply } from './app-tree-ops.js';
import type { AppRuntime } from './app-runtime.js';
import { numericUser, withBitcoinRpcSecrets } from './bitcoin-rpc.js';

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
  if (!wiring) return spec;
  const owner = numericUser(spec.user ?? manifest.security.user);
  const added = await wiring.dependentAdditions(id, installed, owner, service.uses);
  if (Object.keys(added.env).length === 0 && added.secrets.length === 0) return spec;
  const mounts = [...(spec.mounts ?? [])];
  // Podman 4.3 cannot make a secret's mount point in a read-only root: a tmpfs of its own (as bitcoin-rpc.ts).
  if (added.secrets.length > 0 && !mounts.some((mount) => mount.Destination === SECRETS_DIR)) {
    mounts.push({
      Type: 'tmpfs',
      Source: 'tmpfs',
      Destination: SECRETS_DIR,
      Options: ['rw', 'nosuid', 'nodev', 'noexec', 'size=64k', 'mode=0755'],
    });
  }
  return {
    ...spec,
    // The manifest's own env still wins, as it does over dependency-env.ts's values.
    env: { ...spec.env, ...added.env, ...manifest.env },
    mounts,
    secrets: [...(spec.secrets ?? []), ...added.secrets],
  };
}
