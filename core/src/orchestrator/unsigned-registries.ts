// The one development escape from image signature checks: ARCHY_UNSIGNED_REGISTRIES names the
// registries (host:port, as in an image reference) whose images may run without a signature — a
// developer's or the tests' local registry. There is no switch that turns the checks off for every
// registry: a node started with one (a leftover export, a copied unit file) would silently run
// whatever any registry serves. The daemon logs every use, and daemon-info and the web UI show the
// list, so a node running with the escape says so where its owner looks.
//
// ARCHY_ALLOW_UNSIGNED (the contract's old global switch) is accepted only together with named
// registries, where it adds nothing; alone, the daemon refuses to start and says what to use.

import { parseInsecureRegistries } from './image-ref.js';

export const UNSIGNED_REGISTRIES_ENV = 'ARCHY_UNSIGNED_REGISTRIES';
export const ALLOW_UNSIGNED_ENV = 'ARCHY_ALLOW_UNSIGNED';

export interface UnsignedRegistries {
  /** Registries whose images run without a signature check; empty in normal operation. */
  registries: ReadonlySet<string>;
  /** What to log at start (a warning each). */
  warnings: string[];
}

/** A registry as an image reference names it: a host, optionally with a port, nothing else. */
const REGISTRY_PATTERN =
  /^(localhost|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(:[0-9]{1,5})?$/;

/** Reads the escape from the environment; throws (the daemon does not start) when it is misused. */
export function unsignedRegistriesFromEnv(env: NodeJS.ProcessEnv): UnsignedRegistries {
  const registries = parseInsecureRegistries(env[UNSIGNED_REGISTRIES_ENV]);
  for (const registry of registries) {
    if (!REGISTRY_PATTERN.test(registry)) {
      throw new Error(
        `${UNSIGNED_REGISTRIES_ENV} lists '${registry}', which is not a registry (host or host:port, as in ` +
          `an image name, e.g. 127.0.0.1:5000); name each development registry whose images may run unsigned`,
      );
    }
  }
  const allowUnsigned = env[ALLOW_UNSIGNED_ENV];
  if (allowUnsigned !== undefined && allowUnsigned !== '' && allowUnsigned !== '0' && allowUnsigned !== '1') {
    throw new Error(`${ALLOW_UNSIGNED_ENV}=${allowUnsigned} is not 0 or 1; unset it`);
  }
  const warnings: string[] = [];
  if (allowUnsigned === '1') {
    if (registries.size === 0) {
      throw new Error(
        `${ALLOW_UNSIGNED_ENV}=1 no longer turns off image signature checks for every registry. For ` +
          `development, name the registries whose images may run unsigned instead, e.g. ` +
          `${UNSIGNED_REGISTRIES_ENV}=127.0.0.1:5000, and unset ${ALLOW_UNSIGNED_ENV}`,
      );
    }
    warnings.push(
      `${ALLOW_UNSIGNED_ENV}=1 is ignored: only the registries in ${UNSIGNED_REGISTRIES_ENV} run unsigned images`,
    );
  }
  for (const registry of registries) {
    warnings.push(
      `${UNSIGNED_REGISTRIES_ENV}: images from ${registry} run WITHOUT a signature check; development only`,
    );
  }
  return { registries, warnings };
}
