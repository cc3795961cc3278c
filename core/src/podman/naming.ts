/** Names and labels by which Podman objects are tied to an app and to one daemon's data dir. */

export const containerName = (id: string): string => `archy-${id}`;
export const networkName = (id: string): string => `archy-${id}`;

export const LABEL = {
  /** The app id. */
  app: 'io.archipelago.app',
  version: 'io.archipelago.version',
  /**
   * The data dir of the daemon that owns the object. Two daemons (a test's and a user's) can
   * share one Podman; each adopts and cleans up only what carries its own data dir.
   */
  dataDir: 'io.archipelago.data-dir',
} as const;

export function labelsFor(id: string, version: string, dataDir: string): Record<string, string> {
  return { [LABEL.app]: id, [LABEL.version]: version, [LABEL.dataDir]: dataDir };
}
