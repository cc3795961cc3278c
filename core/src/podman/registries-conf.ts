import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Builds a registries.conf that marks `insecure` registries as plain-HTTP, on top of the file
 * Podman would otherwise read. Podman 4.3's compat pull endpoint (the one with byte progress)
 * takes no tlsVerify switch; it trusts registries.conf, and a service started with
 * CONTAINERS_REGISTRIES_CONF reads this file instead (drop-ins in registries.conf.d still apply).
 */
export function registriesConfWithInsecure(insecure: readonly string[], env = process.env): string {
  const base = readBaseConf(env);
  // The v1 format ([registries.insecure]) cannot be mixed with v2 [[registry]] tables.
  const usable = /^\s*\[registries\./m.test(base) ? '' : base;
  const additions = insecure
    .filter((location) => !usable.includes(`"${location}"`))
    .map((location) => `\n[[registry]]\nlocation = ${JSON.stringify(location)}\ninsecure = true\n`);
  return `${usable}\n# Added by Archipelago for ARCHY_INSECURE_REGISTRIES\n${additions.join('')}`;
}

function readBaseConf(env: NodeJS.ProcessEnv): string {
  const candidates = [
    env.CONTAINERS_REGISTRIES_CONF,
    join(env.HOME ?? homedir(), '.config/containers/registries.conf'),
    '/etc/containers/registries.conf',
  ];
  for (const path of candidates) {
    if (path && existsSync(path)) return readFileSync(path, 'utf8');
  }
  return '';
}
