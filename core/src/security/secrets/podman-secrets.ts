import { LABEL, type PodmanClient, type SecretMount } from '../../podman/index.js';
import { Redactor } from './redact.js';
import type { SecretStore } from './secret-store.js';
import { SecretsError } from './secrets-error.js';

/** The part of the Podman client this module needs (a narrow seam for callers and tests). */
export type PodmanSecretsApi = Pick<PodmanClient, 'createSecret' | 'removeSecret' | 'listSecrets'>;

/** Label naming the stored secret a Podman secret was made from (the app is `io.archipelago.app`). */
export const SECRET_NAME_LABEL = 'io.archipelago.secret';

/**
 * `archy-<app-id>.<name>`. App ids cannot contain '.', so the first '.' always ends the id and
 * two apps can never map to one Podman secret (with '-' as separator, app `a-b` + `c` and app `a`
 * + `b-c` would collide).
 */
export const podmanSecretName = (appId: string, name: string): string => `archy-${appId}.${name}`;

/**
 * Creates (or replaces) the Podman secret holding one stored secret, labelled with the app and
 * secret names plus `labels` (e.g. the daemon's data-dir label). Returns the Podman secret name.
 *
 * Podman 4.3 copies a *file* secret into the container at create time, but reads an *env* secret
 * by name at every start: the Podman secret must exist for as long as the container does.
 * Replacing it while a container exists is allowed; that container's env sees the new value at
 * its next start, its file keeps the value from its creation.
 */
export async function createPodmanSecret(
  podman: PodmanSecretsApi,
  store: SecretStore,
  appId: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const value = await store.get(appId, name);
  if (value === undefined) {
    throw new SecretsError(
      `app '${appId}' has no stored secret '${name}'; create it with SecretStore.ensure before the container`,
    );
  }
  const podmanName = podmanSecretName(appId, name);
  try {
    await podman.removeSecret(podmanName);
    await podman.createSecret(podmanName, value, {
      ...labels,
      [LABEL.app]: appId,
      [SECRET_NAME_LABEL]: name,
    });
  } catch (err) {
    // Podman's words are useful, but must not carry the value if it ever echoes the body.
    const only = new Redactor();
    only.add(value);
    throw new SecretsError(
      `could not create Podman secret ${podmanName}: ${only.redactString((err as Error).message)}; check the Podman service`,
    );
  }
  return podmanName;
}

/** How an app's container sees one stored secret: as a file, as an env variable, or both. */
export interface SecretUse {
  /** The stored secret's name (SecretStore). */
  name: string;
  /** Mount as a file; `target` defaults to the secret's name, i.e. `/run/secrets/<name>`. */
  file?: { target?: string; uid?: number; gid?: number; mode?: number };
  /** Set this env variable to the value. */
  env?: string;
}

/**
 * How env secrets reach the container.
 * - `secret_env`: libpod's own field. Podman before 5.3 copies the value into the container's
 *   `Config.Env`, so `podman inspect` prints it once the container has started (podman #23788,
 *   fixed in 5.3) — use only where `envSecretModeFor` says so.
 * - `files`: the secret is mounted as a file and a small shell prelude exports it before exec'ing
 *   the app; inspect shows only the file path. Needs /bin/sh in the image.
 */
export type EnvSecretMode = 'secret_env' | 'files';

export function envSecretModeFor(podmanVersion: string): EnvSecretMode {
  const [major = 0, minor = 0] = podmanVersion.split('.').map((part) => Number.parseInt(part, 10));
  return major > 5 || (major === 5 && minor >= 3) ? 'secret_env' : 'files';
}

/** What the orchestrator puts into the container it creates. */
export interface SecretInjection {
  /** Spread into ContainerCreateSpec. `secret_env` is present only in `secret_env` mode. */
  spec: { secrets: SecretMount[]; secret_env?: Record<string, string> };
  /**
   * `files` mode: env variable → file inside the container. When not empty, the container's
   * argv must be wrapped with `withEnvFromSecretFiles` (see there).
   */
  envFromFiles: Record<string, string>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Creates the Podman secrets an app's container uses and returns how to mount them. Call right
 * before creating the container; each secret becomes one Podman secret however it is used.
 */
export async function prepareSecretInjection(
  podman: PodmanSecretsApi,
  store: SecretStore,
  appId: string,
  uses: readonly SecretUse[],
  options: { labels?: Record<string, string>; envMode?: EnvSecretMode } = {},
): Promise<SecretInjection> {
  const envMode = options.envMode ?? 'files';
  const mounts: SecretMount[] = [];
  const secretEnv: Record<string, string> = {};
  const envFromFiles: Record<string, string> = {};
  const created = new Map<string, string>();
  /** Target of the file each stored secret is mounted at, once mounted. */
  const mountedAt = new Map<string, string>();
  const mount = (podmanName: string, name: string, file: NonNullable<SecretUse['file']>): string => {
    const target = file.target ?? name;
    const entry: SecretMount = { Source: podmanName, Target: target };
    if (file.uid !== undefined) entry.UID = file.uid;
    if (file.gid !== undefined) entry.GID = file.gid;
    if (file.mode !== undefined) entry.Mode = file.mode;
    mounts.push(entry);
    mountedAt.set(name, target);
    return target;
  };

  for (const use of uses) {
    if (!use.file && !use.env) {
      throw new TypeError(`secret '${use.name}' of app '${appId}' is used neither as a file nor as env`);
    }
    if (use.env !== undefined && !ENV_NAME.test(use.env)) {
      throw new TypeError(`invalid env variable name ${JSON.stringify(use.env)} for secret '${use.name}'`);
    }
    let podmanName = created.get(use.name);
    if (!podmanName) {
      podmanName = await createPodmanSecret(podman, store, appId, use.name, options.labels);
      created.set(use.name, podmanName);
    }
    if (use.file) mount(podmanName, use.name, use.file);
  }
  // Env second, so an env use can reuse the file an earlier or later file use mounts.
  for (const use of uses) {
    if (!use.env) continue;
    const podmanName = created.get(use.name)!;
    if (envMode === 'secret_env') {
      secretEnv[use.env] = podmanName;
    } else {
      const target = mountedAt.get(use.name) ?? mount(podmanName, use.name, {});
      envFromFiles[use.env] = target.startsWith('/') ? target : `/run/secrets/${target}`;
    }
  }
  const spec: SecretInjection['spec'] = { secrets: mounts };
  if (envMode === 'secret_env') spec.secret_env = secretEnv;
  return { spec, envFromFiles };
}

/**
 * Wraps a container's full argv (image entrypoint + command, as it would run) in a /bin/sh
 * prelude that exports each env variable from its secret file and then execs the argv, so the
 * app sees the env it expects while inspect shows only file paths. Set the result as the spec's
 * `entrypoint: [first 4 items]` + `command: [rest]`, or simply as `entrypoint` with `command: []`.
 */
export function withEnvFromSecretFiles(
  argv: readonly string[],
  envFromFiles: Record<string, string>,
): string[] {
  const entries = Object.entries(envFromFiles);
  if (entries.length === 0) return [...argv];
  if (argv.length === 0)
    throw new TypeError('cannot wrap an empty command: pass the image entrypoint and cmd');
  const lines = entries.map(([env, path]) => {
    if (!ENV_NAME.test(env)) throw new TypeError(`invalid env variable name ${JSON.stringify(env)}`);
    // Fail the start loudly rather than run the app with an empty password.
    return `${env}="$(cat ${shellQuote(path)})" || exit 1; export ${env}`;
  });
  return ['/bin/sh', '-c', `${lines.join('; ')}; exec "$@"`, 'archy-secret-env', ...argv];
}

const shellQuote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`;

/**
 * Removes the app's Podman secrets (those labelled with its id and every label in `labels`, so a
 * daemon removes only its own). Call after removing the container; the encrypted copies in the
 * SecretStore stay unless the app is purged.
 */
export async function removePodmanSecrets(
  podman: PodmanSecretsApi,
  appId: string,
  labels: Record<string, string> = {},
): Promise<string[]> {
  const mine = await podman.listSecrets({ labels: { ...labels, [LABEL.app]: appId } });
  const removed: string[] = [];
  for (const secret of mine) {
    if (await podman.removeSecret(secret.name)) removed.push(secret.name);
  }
  return removed;
}
