/** Names and labels by which Podman objects are tied to an app and to one daemon's data dir. */

export const containerName = (id: string): string => `archy-${id}`;
export const networkName = (id: string): string => `archy-${id}`;

/**
 * A service's container: the main service's is the app's own (`archy-<id>`), the others'
 * `archy-<id>_<service>` (`_` never appears in an app id, so no two apps' names clash).
 */
export const serviceContainerName = (id: string, service: string, main: boolean): string =>
  main ? containerName(id) : `${containerName(id)}_${service}`;

/**
 * The app's Tor sidecar (README "Tor"): `archy-<id>.tor`. A '.' appears in no app id and no
 * service name, so it clashes with nothing.
 */
export const torSidecarName = (id: string): string => `${containerName(id)}.tor`;

/** The network of a multi-service app's own services, each aliased by its service name; nobody else joins it. */
export const servicesNetworkName = (id: string): string => `${networkName(id)}_services`;

export const LABEL = {
  /** The app id. */
  app: 'io.archipelago.app',
  version: 'io.archipelago.version',
  /**
   * The data dir of the daemon that owns the object. Two daemons (a test's and a user's) can
   * share one Podman; each adopts and cleans up only what carries its own data dir.
   */
  dataDir: 'io.archipelago.data-dir',
  /** The service of the app a container runs (`main` for a single-container app). */
  service: 'io.archipelago.service',
  /** On an app's Tor sidecar (`sidecar`): not one of the app's services, so its events are its own. */
  tor: 'io.archipelago.tor',
} as const;

export function labelsFor(id: string, version: string, dataDir: string): Record<string, string> {
  return { [LABEL.app]: id, [LABEL.version]: version, [LABEL.dataDir]: dataDir };
}
