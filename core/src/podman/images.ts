import { isPodmanNotFound } from './errors.js';
import type { PodmanTransport } from './transport.js';

/** A typed subset of `GET /libpod/images/{name}/json`. */
export interface ImageInspect {
  Id: string;
  Digest: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: string;
  Size: number;
  Labels: Record<string, string> | null;
  Config: {
    Cmd?: string[];
    Entrypoint?: string[];
    Env?: string[];
    User?: string;
    ExposedPorts?: Record<string, object>;
    Labels?: Record<string, string>;
  };
}

/** Image references carry '/' and ':' that Podman's router expects literally in the path. */
export const imagePath = (ref: string): string => `/libpod/images/${encodeURI(ref)}`;

export async function imageExists(t: PodmanTransport, ref: string, signal?: AbortSignal): Promise<boolean> {
  const status = await t.call('GET', `${imagePath(ref)}/exists`, { signal, acceptStatus: [404] });
  return status === 204;
}

export async function inspectImage(
  t: PodmanTransport,
  ref: string,
  signal?: AbortSignal,
): Promise<ImageInspect | undefined> {
  try {
    return await t.json<ImageInspect>('GET', `${imagePath(ref)}/json`, { signal });
  } catch (err) {
    if (isPodmanNotFound(err)) return undefined;
    throw err;
  }
}

/** Removes an image; false when there was none. */
export async function removeImage(
  t: PodmanTransport,
  ref: string,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<boolean> {
  try {
    await t.json('DELETE', imagePath(ref), { query: { force: options.force }, signal: options.signal });
    return true;
  } catch (err) {
    if (isPodmanNotFound(err)) return false;
    throw err;
  }
}
