// An app's grants as lines of text: for the terminal (`archy install`) and the daemon's refusal of
// an imported app's install. Only kernel types: the CLI loads it without the manifest parser.

import type { AppGrants } from '../kernel/index.js';

/** One line per grant, for a terminal or an error message (the UI lays them out itself). */
export function grantLines(grants: AppGrants): string[] {
  const lines: string[] = [];
  for (const service of grants.services) {
    const trust =
      service.trust === 'digest' ? 'pinned by digest, not signed by the catalog' : 'signature checked';
    lines.push(`service ${service.service}: image ${service.image} (${trust})`);
    lines.push(
      `  runs as ${service.user ?? "the image's own user (root refused)"}; capabilities added: ${
        service.capabilities.length > 0 ? service.capabilities.join(', ') : 'none'
      }`,
    );
    for (const port of service.ports) {
      const where = port.expose === 'lan' ? 'open to the LAN' : 'this machine only';
      lines.push(`  host port ${port.host}/${port.protocol} → ${port.container} (${where})`);
    }
    for (const volume of service.volumes) {
      lines.push(
        `  keeps data in '${volume.name}' at ${volume.mount}${volume.readOnly ? ' (read-only)' : ''}`,
      );
    }
  }
  for (const dependency of grants.dependencies) {
    const provider = dependency.provider ?? 'a provider still to be chosen';
    const what = dependency.handsOver.length > 0 ? `: ${dependency.handsOver.join('; ')}` : '';
    lines.push(`dependency ${dependency.interface} from ${provider}${what}`);
  }
  for (const secret of grants.secrets) {
    lines.push(
      secret === 'app-password'
        ? 'a password the node generates for it (ARCHY_APP_PASSWORD)'
        : 'a seed the node generates for it (ARCHY_APP_SEED)',
    );
  }
  return lines;
}
