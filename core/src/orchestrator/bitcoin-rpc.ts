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
/** The dependents' rpcauth lines, one per line (interfaces/): present only while some are bound. */
export const DEPENDENTS_RPCAUTH_SECRET = 'rpcauth-dependents';
export const BITCOIN_SECRET_NAMES = [RPC_PASSWORD_SECRET, RPCAUTH_SECRET] as const;

const SECRETS_DIR = '/run/secrets';
// The node's own login first, then one -rpcauth per line of the dependents' file when mounted.
const PRELUDE =
  `auth="$(cat /run/secrets/${RPCAUTH_SECRET})" || exit 1; set -- "$@" "-rpcauth=$auth"; ` +
  `if [ -f /run/secrets/${DEPENDENTS_RPCAUTH_SECRET} ]; then ` +
  `while IFS= read -r line || [ -n "$line" ]; do if [ -n "$line" ]; then set -- "$@" "-rpcauth=$line"; fi; ` +
  `done < /run/secrets/${DEPENDENTS_RPCAUTH_SECRET}; fi; exec "$@"`;

/** What the node's dependents add (interfaces/ProviderAdditions): their logins and plain arguments. */
export interface DependentLogins {
  rpcauthLines: readonly string[];
  args: readonly string[];
}

/** Numeric uid/gid from a container's user ("1000:1000", or "1000" meaning the same gid). */
export function numericUser(user: string | undefined): { uid?: number; gid?: number } {
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
  dependents: DependentLogins = { rpcauthLines: [], args: [] },
): Promise<ContainerCreateSpec> {
  await ensureBitcoinRpcSecrets(deps.store, manifest.id);
  // Written at every create from the dependents bound now: a removed dependent's line is gone.
  const withDependents = dependents.rpcauthLines.length > 0;
  if (withDependents) {
    await deps.store.set(manifest.id, DEPENDENTS_RPCAUTH_SECRET, `${dependents.rpcauthLines.join('\n')}\n`);
  } else {
    await deps.store.remove(manifest.id, DEPENDENTS_RPCAUTH_SECRET);
  }
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
      ...(withDependents ? [{ name: DEPENDENTS_RPCAUTH_SECRET, file: file(DEPENDENTS_RPCAUTH_SECRET) }] : []),
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
  const argv = [
    ...(manifest.entrypoint ?? []),
    ...(manifest.command ?? ['bitcoind']),
    ...extraArgs,
    ...dependents.args,
  ];
  return {
    ...spec,
    mounts,
    secrets: [...(spec.secrets ?? []), ...injection.spec.secrets],
    entrypoint: ['/bin/sh', '-c', PRELUDE, 'archy-rpcauth'],
    command: argv,
  };
}
