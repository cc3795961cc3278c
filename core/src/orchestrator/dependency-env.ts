import { envPrefix } from '../manifest/index.js';
import type { ResolvedDependency } from '../resolver/index.js';

/**
 * What a dependent learns about its dependencies, as plain environment values rather than shell
 * run from a manifest: `ARCHY_DEP_<NAME>_HOST` (the host name on their shared network) and
 * `ARCHY_DEP_<NAME>_RPC_PORT` / `_P2P_PORT` where the dependency declares them, with <NAME> the
 * requested id or interface in upper case (`bitcoin-node` → `BITCOIN_NODE`). Credentials never
 * travel this way: they are injected as secrets.
 */
export function dependencyEnv(dependencies: readonly ResolvedDependency[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const dependency of dependencies) {
    const prefix = envPrefix(dependency.requested);
    env[`${prefix}_HOST`] = dependency.host;
    if (dependency.ports.rpc !== undefined) env[`${prefix}_RPC_PORT`] = String(dependency.ports.rpc);
    if (dependency.ports.p2p !== undefined) env[`${prefix}_P2P_PORT`] = String(dependency.ports.p2p);
  }
  return env;
}
