import { isPodmanNotFound } from './errors.js';
import { encodeFilters, labelFilters, type PodmanTransport } from './transport.js';

export interface NetworkCreateOptions {
  name: string;
  labels?: Record<string, string>;
  /** No route out of the network (no internet). */
  internal?: boolean;
  /** Driver options; we use `{ isolate: 'true' }` so app networks cannot reach each other by IP. */
  options?: Record<string, string>;
  /**
   * Name resolution between containers on the network (aardvark-dns). Default true here:
   * libpod's API defaults it to false, unlike the CLI, and apps find each other by name.
   */
  dnsEnabled?: boolean;
}

/** A typed subset of a libpod network (`GET /libpod/networks/{name}/json`). */
export interface NetworkInspect {
  name: string;
  id: string;
  driver: string;
  network_interface: string;
  created: string;
  subnets: { subnet: string; gateway: string }[] | null;
  internal: boolean;
  dns_enabled: boolean;
  labels: Record<string, string> | null;
  options: Record<string, string> | null;
}

const networkPath = (name: string): string => `/libpod/networks/${encodeURIComponent(name)}`;

export async function createNetwork(
  t: PodmanTransport,
  options: NetworkCreateOptions,
  signal?: AbortSignal,
): Promise<NetworkInspect> {
  return t.json<NetworkInspect>('POST', '/libpod/networks/create', {
    body: {
      name: options.name,
      driver: 'bridge',
      labels: options.labels ?? {},
      internal: options.internal ?? false,
      options: options.options ?? {},
      dns_enabled: options.dnsEnabled ?? true,
    },
    signal,
  });
}

/** Removes a network (force: disconnecting and removing its containers' links); false if absent. */
export async function removeNetwork(
  t: PodmanTransport,
  name: string,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<boolean> {
  try {
    await t.json('DELETE', networkPath(name), { query: { force: options.force }, signal: options.signal });
    return true;
  } catch (err) {
    if (isPodmanNotFound(err)) return false;
    throw err;
  }
}

export async function inspectNetwork(
  t: PodmanTransport,
  name: string,
  signal?: AbortSignal,
): Promise<NetworkInspect | undefined> {
  try {
    return await t.json<NetworkInspect>('GET', `${networkPath(name)}/json`, { signal });
  } catch (err) {
    if (isPodmanNotFound(err)) return undefined;
    throw err;
  }
}

export async function listNetworks(
  t: PodmanTransport,
  options: { labels?: Record<string, string | true>; signal?: AbortSignal } = {},
): Promise<NetworkInspect[]> {
  const list = await t.json<NetworkInspect[] | null>('GET', '/libpod/networks/json', {
    query: { filters: encodeFilters({ label: labelFilters(options.labels) }) },
    signal: options.signal,
  });
  return list ?? [];
}

/** Joins a (running or stopped) container to a network, reachable there by `aliases` too. */
export async function connectNetwork(
  t: PodmanTransport,
  network: string,
  container: string,
  aliases: string[] = [],
  signal?: AbortSignal,
): Promise<void> {
  await t.call('POST', `${networkPath(network)}/connect`, {
    body: { container, aliases },
    signal,
  });
}

export async function disconnectNetwork(
  t: PodmanTransport,
  network: string,
  container: string,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  await t.call('POST', `${networkPath(network)}/disconnect`, {
    body: { Container: container, Force: options.force ?? false },
    signal: options.signal,
  });
}
