// Service names and the host names services reach each other by. On Umbrel a service is reached
// at its static IP on the flat app network, at Compose's container name `<app>_<service>_1`, at
// its container_name, or at its Compose service name; here every service answers to its service
// name on the app's own network, so all of those become that name.

import { SERVICE_NAME_PATTERN, splitReferences } from '../../manifest/index.js';

/** A Compose service name as one of ours: lowercase, `_` → `-`, starting with a letter, ≤ 31. */
export function serviceNameFor(composeName: string): string {
  let name = composeName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 31)
    .replace(/-+$/, '');
  if (!SERVICE_NAME_PATTERN.test(name)) name = `s-${name}`.slice(0, 31).replace(/-+$/, '');
  return name;
}

export interface HostNames {
  /** Static-IP variables and literal IPs → service name (for the interpolator). */
  byIp: Map<string, string>;
  /** Rewrites the literal parts of an interpolated text. */
  rewrite(text: string): string;
}

interface ServiceIdentity {
  composeName: string;
  name: string;
  ipv4Address?: string | undefined;
  containerName?: string | undefined;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function hostNames(
  appId: string,
  services: readonly ServiceIdentity[],
  ipValue: (v: string) => string | undefined,
): HostNames {
  const byIp = new Map<string, string>();
  const aliases = new Map<string, string>();
  for (const service of services) {
    for (const form of [`${appId}_${service.composeName}_1`, `${appId}-${service.composeName}-1`])
      aliases.set(form, service.name);
    if (service.containerName) aliases.set(service.containerName, service.name);
    if (service.composeName !== service.name) aliases.set(service.composeName, service.name);
    const address = service.ipv4Address?.trim();
    if (!address) continue;
    const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(address)?.[1];
    if (variable !== undefined) {
      byIp.set(variable, service.name);
      const literal = ipValue(variable);
      if (literal) aliases.set(literal, service.name);
    } else aliases.set(address, service.name);
  }
  for (const [ip, name] of aliases) if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) byIp.set(ip, name);
  // Longest first, whole words only: `app_db_1` before `db`, and never inside another word.
  const forms = [...aliases.keys()].sort((a, b) => b.length - a.length);
  const pattern = forms.length
    ? new RegExp(`(?<![A-Za-z0-9_.-])(${forms.map(escape).join('|')})(?![A-Za-z0-9_-]|\\.[0-9])`, 'g')
    : undefined;
  return {
    byIp,
    rewrite(text: string): string {
      if (!pattern) return text;
      return splitReferences(text)
        .map((part) =>
          'reference' in part
            ? `\${${part.reference}}`
            : part.literal.replace(pattern, (form) => aliases.get(form) ?? form),
        )
        .join('');
    },
  };
}
