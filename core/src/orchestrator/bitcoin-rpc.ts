// RPC credentials for Bitcoin Core/Knots: generated per app, kept encrypted in the SecretStore,
// and handed to the container as Podman secret *files* — never as environment variables, never in
// the container's config in clear.
//
// bitcoind takes credentials as `-rpcauth=user:salt$hmac` (a salted HMAC; the password itself is
// never given to bitcoind). The line comes from the `rpcauth` secret file through a one-line
// /bin/sh prelude that appends it to the argv, so `podman inspect` shows only the prelude. The
// password (`rpc-password`) is mounted too, for what inside the container needs to call RPC; the
// daemon reads it from the store for the health probe's own RPC call (health/probe.ts).
// Both are created once and reused by every recreate, version change and implementation switch.

import type { ContainerCreateSpec } from '../podman/index.js';
import type { AppManifest } from '../manifest/index.js';
import {
  checkRpcAuth,
  generatePassword,
  prepareSecretInjection,
  rpcauth,
  type PodmanSecretsApi,
  type SecretStore,
} from '../security/secrets/index.js';

export const BITCOIN_RPC_USER = 'archipelago';
export const RPC_PASSWORD_SECRET = 'rpc-password';
export const RPCAUTH_SECRET = 'rpcauth';
export const BITCOIN_SECRET_NAMES = [RPC_PASSWORD_SECRET, RPCAUTH_SECRET] as const;

const SECRETS_DIR = '/run/secrets';
const PRELUDE = `auth="$(cat /run/secrets/${RPCAUTH_SECRET})" || exit 1; exec "$@" "-rpcauth=$auth"`;

/** Numeric uid/gid from a container's user ("1000:1000", or "1000" meaning the same gid). */
function numericUser(user: string | undefined): { uid?: number; gid?: number } {
  const match = /^(\d+)(?::(\d+))?$/.exec(user ?? '');
  if (!match) return {};
  return { uid: Number(match[1]), gid: Number(match[2] ?? match[1]) };
}

/** The credentials, created on first use; an rpcauth line that no longer matches is made again. */
export async function ensureBitcoinRpcSecrets(store: SecretStore, appId: string): Promise<void> {
  const password = await store.ensure(appId, RPC_PASSWORD_SECRET, () => generatePassword());
  const line = await store.ensure(appId, RPCAUTH_SECRET, () => rpcauth(BITCOIN_RPC_USER, password).line);
  if (!checkRpcAuth(line, BITCOIN_RPC_USER, password)) {
    await store.set(appId, RPCAUTH_SECRET, rpcauth(BITCOIN_RPC_USER, password).line);
  }
}

/**
 * The node's RPC user and password, for the daemon's own calls (the health probe's
 * getblockchaininfo); undefined when none were generated.
 */
export async function bitcoinRpcCredentials(
  store: SecretStore | undefined,
  appId: string,
): Promise<{ user: string; password: string } | undefined> {
  const password = await store?.get(appId, RPC_PASSWORD_SECRET);
  return password === undefined ? undefined : { user: BITCOIN_RPC_USER, password };
}

/**
 * Adds the credentials to a Bitcoin app's create spec: the secret mounts, and an entrypoint that
 * passes `-rpcauth` from the secret file. `extraArgs` (e.g. -reindex-chainstate for the first start
 * after a downgrade) go after the manifest's command.
 */
export async function withBitcoinRpcSecrets(
  spec: ContainerCreateSpec,
  manifest: AppManifest,
  deps: { podman: PodmanSecretsApi; store: SecretStore; labels: Record<string, string> },
  extraArgs: readonly string[] = [],
): Promise<ContainerCreateSpec> {
  await ensureBitcoinRpcSecrets(deps.store, manifest.id);
  // The user the container runs as (the policy always sets numeric uid:gid), so it can read them.
  const owner = numericUser(spec.user ?? manifest.security.user);
  const file = (target: string) => ({ target, ...owner, mode: 0o400 });
  const injection = await prepareSecretInjection(
    deps.podman,
    deps.store,
    manifest.id,
    [
      { name: RPCAUTH_SECRET, file: file(RPCAUTH_SECRET) },
      { name: RPC_PASSWORD_SECRET, file: file(RPC_PASSWORD_SECRET) },
    ],
    { labels: deps.labels },
  );
  // Podman 4.3 (runc) cannot create a secret's mount point in a read-only root, not even under
  // the /run tmpfs; a tmpfs of its own at /run/secrets works (tried on this host's Podman).
  const mounts = [...(spec.mounts ?? [])];
  if (!mounts.some((mount) => mount.Destination === SECRETS_DIR)) {
    mounts.push({
      Type: 'tmpfs',
      Source: 'tmpfs',
      Destination: SECRETS_DIR,
      Options: ['rw', 'nosuid', 'nodev', 'noexec', 'size=64k', 'mode=0755'],
    });
  }
  const argv = [...(manifest.entrypoint ?? []), ...(manifest.command ?? ['bitcoind']), ...extraArgs];
  return {
    ...spec,
    mounts,
    secrets: [...(spec.secrets ?? []), ...injection.spec.secrets],
    entrypoint: ['/bin/sh', '-c', PRELUDE, 'archy-rpcauth'],
    command: argv,
  };
}
