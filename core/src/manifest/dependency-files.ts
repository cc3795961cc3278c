// Where a manifest asks for its dependencies' files besides /run/secrets (dependencies[].files):
// each path gets a read-only mount of its own, so it may not be where the daemon mounts other
// things — under /run/secrets (the dependency files' own place), on or under a volume or tmpfs of
// a container that uses the dependency (the file would land in the app's data), or over such a
// mount — nor be named twice. Pure: the schema reports each problem at its key.

import type { RawManifest } from './services.js';

export interface DependencyFileProblem {
  path: PropertyKey[];
  message: string;
}

const SECRETS_DIR = '/run/secrets';

/** `a` is `b` or inside it. */
const within = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`);

export function dependencyFileProblems(manifest: RawManifest): DependencyFileProblem[] {
  const problems: DependencyFileProblem[] = [];
  const seen = new Map<string, string>();
  manifest.dependencies.forEach((dependency, index) => {
    // The containers that get this dependency: the one container, or the services using it.
    const containers =
      manifest.services === undefined
        ? [{ volumes: manifest.volumes ?? [], tmpfs: manifest.security?.tmpfs ?? [] }]
        : Object.values(manifest.services)
            .filter((service) => (service.uses ?? []).includes(dependency.id))
            .map((service) => ({ volumes: service.volumes, tmpfs: service.security.tmpfs }));
    const mounts = containers.flatMap((container) => [
      ...container.volumes.map((volume) => ({ at: volume.mount, what: `the volume at ${volume.mount}` })),
      ...container.tmpfs.map((path) => ({ at: path, what: `the tmpfs at ${path}` })),
    ]);
    for (const [key, path] of Object.entries(dependency.files ?? {})) {
      if (path === undefined) continue;
      const at = ['dependencies', index, 'files', key];
      const named = `dependencies[${index}].files.${key}`;
      if (within(path, SECRETS_DIR)) {
        problems.push({
          path: at,
          message: `${path} is under ${SECRETS_DIR}, where the daemon puts the dependency's files itself; name a path outside it, or read the file from ${SECRETS_DIR}`,
        });
        continue;
      }
      const clash = mounts.find((mount) => within(path, mount.at) || within(mount.at, path));
      if (clash) {
        problems.push({
          path: at,
          message: `${path} collides with ${clash.what}: the file would be mounted into the app's own data; name a path outside its volumes`,
        });
        continue;
      }
      const earlier = seen.get(path);
      if (earlier !== undefined)
        problems.push({ path: at, message: `${path} is already named at ${earlier}; name each path once` });
      else seen.set(path, named);
    }
  });
  return problems;
}
