// Reads an Umbrel app's docker-compose.yml into one shape per service, whichever of Compose's
// spellings the file uses (environment as a mapping or a list, volumes short or long, command as
// a string or a list). Values stay as written — variables are mapped later (variables.ts) — and
// every key is kept, so the policy (policy.ts) sees what the file asks for.

import { parse as parseYaml } from 'yaml';
import { firstLine, type Read } from './app-file.js';

/** One volume entry: `source:target[:mode]` or the long form. */
export interface ComposeVolume {
  type: 'bind' | 'volume' | 'tmpfs' | 'other';
  source: string;
  target: string;
  readOnly: boolean;
}

export interface ComposeService {
  name: string;
  /** Every key as written, for the policy. */
  raw: Record<string, unknown>;
  image?: string;
  /** null: the variable is passed through from the host (`- NAME` / `NAME:` with no value). */
  environment: Record<string, string | null>;
  volumes: ComposeVolume[];
  ports: string[];
  command?: string | string[];
  entrypoint?: string | string[];
  dependsOn: string[];
  user?: string;
  /** `networks: { default: { ipv4_address } }`: Umbrel's static address of this service. */
  ipv4Address?: string;
  containerName?: string;
}

export interface ComposeFile {
  services: ComposeService[];
  /** The app_proxy's APP_HOST and APP_PORT (the web UI), when the app has one. */
  proxy?: { host: string; port: string; authAdded: boolean };
}

const scalar = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : undefined;

function readEnvironment(value: unknown): Record<string, string | null> {
  const env: Record<string, string | null> = {};
  if (Array.isArray(value)) {
    for (const entry of value) {
      const line = scalar(entry);
      if (line === undefined) continue;
      const at = line.indexOf('=');
      if (at < 0) env[line.trim()] = null;
      else env[line.slice(0, at).trim()] = line.slice(at + 1);
    }
  } else if (value && typeof value === 'object') {
    for (const [name, entry] of Object.entries(value))
      env[name] = entry === null ? null : (scalar(entry) ?? null);
  }
  return env;
}

/** `src:dst[:ro]`, split at the colons Compose splits at (a Windows drive letter never occurs here). */
function readVolume(entry: unknown): ComposeVolume | undefined {
  if (typeof entry === 'string') {
    const parts = entry.split(':');
    if (parts.length === 1) return { type: 'volume', source: '', target: parts[0]!, readOnly: false };
    const mode = parts.length > 2 ? parts.slice(2).join(':') : '';
    const source = parts[0]!;
    const isBind = source.startsWith('/') || source.startsWith('$') || source.startsWith('.');
    return {
      type: isBind ? 'bind' : 'volume',
      source,
      target: parts[1]!,
      readOnly: mode.split(',').includes('ro'),
    };
  }
  if (entry && typeof entry === 'object') {
    const long = entry as Record<string, unknown>;
    const type = scalar(long.type);
    return {
      type: type === 'bind' || type === 'volume' || type === 'tmpfs' ? type : 'other',
      source: scalar(long.source) ?? '',
      target: scalar(long.target) ?? '',
      readOnly: long.read_only === true,
    };
  }
  return undefined;
}

function readPorts(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    if (entry && typeof entry === 'object') {
      const long = entry as Record<string, unknown>;
      const target = scalar(long.target);
      if (target === undefined) return [];
      const published = scalar(long.published);
      const protocol = scalar(long.protocol);
      return [`${published ?? ''}${published ? ':' : ''}${target}${protocol ? `/${protocol}` : ''}`];
    }
    const text = scalar(entry);
    return text === undefined ? [] : [text];
  });
}

function readDependsOn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap((entry) => scalar(entry) ?? []);
  if (value && typeof value === 'object') return Object.keys(value);
  return [];
}

function readCommand(value: unknown): string | string[] | undefined {
  if (Array.isArray(value)) return value.map((part) => scalar(part) ?? '');
  return scalar(value);
}

function readIpv4(networks: unknown): string | undefined {
  if (!networks || typeof networks !== 'object' || Array.isArray(networks)) return undefined;
  for (const network of Object.values(networks)) {
    if (network && typeof network === 'object') {
      const address = scalar((network as Record<string, unknown>).ipv4_address);
      if (address !== undefined) return address;
    }
  }
  return undefined;
}

/** Parses the file's text into its services (app_proxy taken out as `proxy`). */
export function readComposeFile(source: string): Read<ComposeFile> {
  let raw: unknown;
  try {
    raw = parseYaml(source, { maxAliasCount: 100, merge: true });
  } catch (error) {
    return {
      ok: false,
      reason: `docker-compose.yml is not readable YAML: ${firstLine(error)}`,
    };
  }
  const servicesValue =
    raw && typeof raw === 'object' ? (raw as Record<string, unknown>).services : undefined;
  if (!servicesValue || typeof servicesValue !== 'object' || Array.isArray(servicesValue))
    return { ok: false, reason: 'docker-compose.yml has no services:' };
  const file: ComposeFile = { services: [] };
  for (const [name, value] of Object.entries(servicesValue)) {
    const service = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
    const environment = readEnvironment(service.environment);
    if (name === 'app_proxy') {
      const host = environment.APP_HOST;
      const port = environment.APP_PORT;
      if (host && port)
        file.proxy = {
          host,
          port,
          authAdded: String(environment.PROXY_AUTH_ADD ?? 'true').toLowerCase() !== 'false',
        };
      continue;
    }
    file.services.push({
      name,
      raw: service,
      image: scalar(service.image),
      environment,
      volumes: (Array.isArray(service.volumes) ? service.volumes : []).flatMap(
        (entry) => readVolume(entry) ?? [],
      ),
      ports: readPorts(service.ports),
      command: readCommand(service.command),
      entrypoint: readCommand(service.entrypoint),
      dependsOn: readDependsOn(service.depends_on),
      user: scalar(service.user),
      ipv4Address: readIpv4(service.networks),
      containerName: scalar(service.container_name),
    });
  }
  if (file.services.length === 0)
    return { ok: false, reason: 'docker-compose.yml has no service besides app_proxy' };
  return { ok: true, value: file };
}
