// The one development escape from image signature checks: ARCHY_UNSIGNED_REGISTRIES names the
// registries (host:port, as in an image reference) whose images may run without a signature — a
// developer's or the tests' local registry. There is no switch that turns the checks off for every
// registry: a node started with one (a leftover export, a copied unit file) would silently run
// whatever any registry serves. The daemon logs every use, and daemon-info and the web UI show the
// list, so a node running with the escape says so where its owner looks.
//
// ARCHY_ALLOW_UNSIGNED=1 (the contract's old dev/test switch) stays accepted, scoped the same way:
// it names no registry itself, so it covers the plain-HTTP development registries the node is
// already told about (ARCHY_INSECURE_REGISTRIES) and nothing else — a test setup written for the
// old switch keeps working, and a leftover export on a node with no such registry opens nothing.
// With ARCHY_UNSIGNED_REGISTRIES set, that list alone counts.

import { parseInsecureRegistries } from '../util/image-reference.js';

export const UNSIGNED_REGISTRIES_ENV = 'ARCHY_UNSIGNED_REGISTRIES';
export const ALLOW_UNSIGNED_ENV = 'ARCHY_ALLOW_UNSIGNED';
const INSECURE_REGISTRIES_ENV = 'ARCHY_INSECURE_REGISTRIES';

export interface UnsignedRegistries {
  /** Registries whose images run without a signature check; empty in normal operation. */
  registries: ReadonlySet<string>;
  /** What to log at start (a warning each). */
  warnings: string[];
}

/** A registry as an image reference names it: a host, optionally with a port, nothing else. */
const REGISTRY_PATTERN =
  /^(localhost|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(:[0-9]{1,5})?$/;

function assertRegistry(registry: string, variable: string): void {
  if (!REGISTRY_PATTERN.test(registry)) {
    throw new Error(
      `${variable} lists '${registry}', which is not a registry (host or host:port, as in ` +
        `an image name, e.g. 127.0.0.1:5000); name each development registry whose images may run unsigned`,
    );
  }
}

/** Reads the escape from the environment; throws (the daemon does not start) when it is misused. */
export function unsignedRegistriesFromEnv(env: NodeJS.ProcessEnv): UnsignedRegistries {
  const named = parseInsecureRegistries(env[UNSIGNED_REGISTRIES_ENV]);
  for (const registry of named) assertRegistry(registry, UNSIGNED_REGISTRIES_ENV);
  const allowUnsigned = env[ALLOW_UNSIGNED_ENV];
  if (allowUnsigned !== undefined && allowUnsigned !== '' && allowUnsigned !== '0' && allowUnsigned !== '1') {
    throw new Error(`${ALLOW_UNSIGNED_ENV}=${allowUnsigned} is not 0 or 1; unset it`);
  }
  const warnings: string[] = [];
  let registries: ReadonlySet<string> = named;
  if (allowUnsigned === '1' && named.size > 0) {
    warnings.push(
      `${ALLOW_UNSIGNED_ENV}=1 is ignored: only the registries in ${UNSIGNED_REGISTRIES_ENV} run unsigned images`,
    );
  } else if (allowUnsigned === '1') {
    registries = parseInsecureRegistries(env[INSECURE_REGISTRIES_ENV]);
    for (const registry of registries) assertRegistry(registry, INSECURE_REGISTRIES_ENV);
    warnings.push(
      registries.size > 0
        ? `${ALLOW_UNSIGNED_ENV}=1 covers only the development registries in ${INSECURE_REGISTRIES_ENV} ` +
            `(${[...registries].join(', ')}); every other image still needs a signature. Prefer ` +
            `${UNSIGNED_REGISTRIES_ENV}=<host:port,...>`
        : `${ALLOW_UNSIGNED_ENV}=1 is ignored: it no longer turns off signature checks for every registry, ` +
            `and no development registry is named (${INSECURE_REGISTRIES_ENV} or ${UNSIGNED_REGISTRIES_ENV}); ` +
            'every image needs a signature',
    );
  }
  for (const registry of registries) {
    warnings.push(
      `images from ${registry} run WITHOUT a signature check (the development escape); development only`,
    );
  }
  return { registries, warnings };
}
