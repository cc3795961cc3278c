import { isPodmanNotFound } from './errors.js';
import type { PodmanTransport } from './transport.js';

/** A secret's metadata; Podman never returns the data through the API. */
export interface SecretInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  createdAt: string;
}

interface RawSecret {
  ID: string;
  CreatedAt: string;
  Spec: { Name: string; Labels?: Record<string, string> | null };
}

const toSecretInfo = (raw: RawSecret): SecretInfo => ({
  id: raw.ID,
  name: raw.Spec.Name,
  labels: raw.Spec.Labels ?? {},
  createdAt: raw.CreatedAt,
});

/** Stores a secret with Podman's file driver; returns its id. Data must be 1 byte to 500 KiB. */
export async function createSecret(
  t: PodmanTransport,
  name: string,
  data: Buffer | string,
  labels: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<string> {
  const answer = await t.json<{ ID: string }>('POST', '/libpod/secrets/create', {
    query: { name, driver: 'file', labels: JSON.stringify(labels) },
    body: Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'),
    signal,
  });
  return answer.ID;
}

/** Removes a secret; false when there was none. */
export async function removeSecret(t: PodmanTransport, name: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await t.call('DELETE', `/libpod/secrets/${encodeURIComponent(name)}`, { signal });
    return true;
  } catch (err) {
    if (isPodmanNotFound(err)) return false;
    throw err;
  }
}

export async function inspectSecret(
  t: PodmanTransport,
  name: string,
  signal?: AbortSignal,
): Promise<SecretInfo | undefined> {
  try {
    return toSecretInfo(
      await t.json<RawSecret>('GET', `/libpod/secrets/${encodeURIComponent(name)}/json`, { signal }),
    );
  } catch (err) {
    if (isPodmanNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Lists secrets with their labels. 4.3's list answers `Labels: null` for every secret (only
 * inspect has them) and has no label filter, so each secret is inspected and filtered here.
 */
export async function listSecrets(
  t: PodmanTransport,
  options: { labels?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<SecretInfo[]> {
  const list =
    (await t.json<RawSecret[] | null>('GET', '/libpod/secrets/json', { signal: options.signal })) ?? [];
  const detailed = await Promise.all(
    list.map(async (raw) =>
      raw.Spec.Labels
        ? toSecretInfo(raw)
        : ((await inspectSecret(t, raw.ID, options.signal)) ?? toSecretInfo(raw)),
    ),
  );
  const wanted = Object.entries(options.labels ?? {});
  return detailed.filter((s) => wanted.every(([k, v]) => s.labels[k] === v));
}
