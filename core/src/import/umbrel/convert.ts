// One Umbrel app (the text of its umbrel-app.yml, docker-compose.yml and exports.sh) → one
// Archipelago manifest, or the reasons it cannot be one. Pure: the caller reads the files.

import { readAppFile, type UmbrelAppFile } from './app-file.js';
import { splitCommandLine } from './command-line.js';
import { readComposeFile, type ComposeService } from './compose-file.js';
import { DEPENDENCY_INTERFACES } from './dependencies.js';
import { readExportsFile } from './exports-file.js';
import { Findings, type Finding, type RefusalCode, type WarningCode } from './findings.js';
import { durationFor, healthFor } from './healthcheck.js';
import { lightningFiles } from './lightning-files.js';
import { writeManifest } from './manifest-writer.js';
import { judgeService } from './policy.js';
import { hostNames, serviceNameFor } from './service-names.js';
import { Interpolator } from './variables.js';
import { mapVolumes, type LightningMount, type MappedVolume, type Shipped } from './volumes.js';
import { ALLOWED_CAPABILITIES, normalizeCapability } from '../../security/policy/index.js';
import { isFloatingTag } from '../../manifest/index.js';

export interface UmbrelAppSource {
  appYml: string;
  composeYml: string;
  exportsSh?: string | undefined;
  /** What the app folder ships below it (Umbrel copies it into the app's data folder). */
  shipped?: Shipped;
  /** The app has hooks/ scripts umbrelOS runs around its start. */
  hasHooks?: boolean;
}

export type ConversionStatus = 'converted' | 'warnings' | 'refused';

export interface Conversion {
  /** Umbrel's id (ours too), or the folder name when umbrel-app.yml is unreadable. */
  id: string;
  status: ConversionStatus;
  reasons: Array<Finding<RefusalCode>>;
  warnings: Array<Finding<WarningCode>>;
  /** The manifest's YAML, when converted. */
  manifest?: string;
  /**
   * Folders the app ships that seed its volumes: `from` relative to the app folder, `files`
   * relative to `from`. The manifest says `seed: seed/<volume>`; whoever writes the manifest
   * copies the files there (app-folder.ts writeSeeds).
   */
  seeds?: SeedFolder[];
  /** The app folder it was read from (set by app-folder.ts, which reads it). */
  folder?: string;
}

export interface SeedFolder {
  volume: string;
  from: string;
  files: string[];
}

export const UMBREL_SOURCE = 'getumbrel/umbrel-apps';

const TOR_IMAGE = /(^|\/)tor(:|@)/;

const CATEGORIES: Record<string, string> = { bitcoin: 'bitcoin', lightning: 'lightning' };

interface ServiceOut {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  ports?: Array<{ container: number; host: number; protocol?: 'udp'; expose?: 'local' }>;
  volumes?: Array<{ mount: string; name: string; readOnly?: true; seed?: string }>;
  security?: { readOnlyRootfs: boolean; user?: string; capAdd?: string[]; tmpfs?: string[] };
  health?: ReturnType<typeof healthFor>;
  stopTimeout?: string;
  dependsOn?: string[];
  uses?: string[];
}

export function convertUmbrelApp(source: UmbrelAppSource, fallbackId: string): Conversion {
  const findings = new Findings();
  const app = readAppFile(source.appYml);
  if (!app.ok) return refusedAs(fallbackId, 'invalid', app.reason);
  const compose = readComposeFile(source.composeYml);
  if (!compose.ok) return refusedAs(app.value.id, 'invalid', compose.reason);
  const seeds: SeedFolder[] = [];
  const manifest = build(app.value, compose.value.services, compose.value.proxy, source, findings, seeds);
  const result: Conversion = {
    id: app.value.id,
    status: 'converted',
    reasons: findings.refusals,
    warnings: findings.warnings,
  };
  if (findings.refusals.length === 0 && manifest) {
    const written = writeManifest(manifest);
    if (written.ok) {
      result.manifest = written.yaml;
      if (seeds.length > 0) result.seeds = seeds;
    } else
      findings.refuse(
        'invalid',
        `the converted manifest does not pass our own checks (a converter bug): ${written.reason}`,
      );
  }
  result.status =
    findings.refusals.length > 0 ? 'refused' : findings.warnings.length > 0 ? 'warnings' : 'converted';
  if (result.status === 'refused') {
    delete result.manifest;
    delete result.seeds;
  }
  return result;
}

function refusedAs(id: string, code: RefusalCode, message: string): Conversion {
  return { id, status: 'refused', reasons: [{ code, message }], warnings: [] };
}

function build(
  app: UmbrelAppFile,
  composeServices: ComposeService[],
  proxy: { host: string; port: string; authAdded: boolean } | undefined,
  source: UmbrelAppSource,
  findings: Findings,
  /** Filled with the shipped folders that seed volumes. */
  seeds: SeedFolder[],
): Record<string, unknown> | undefined {
  const exports = readExportsFile(source.exportsSh ?? '');
  const shipped: Shipped = source.shipped ?? (() => undefined);

  // Umbrel's Tor sidecars: no Tor here yet, so they go, and with them what points at them.
  const services = composeServices.filter((service) => {
    const isTor =
      TOR_IMAGE.test(service.image ?? '') ||
      service.volumes.some((volume) => /TOR_DATA_DIR/.test(volume.source));
    if (isTor)
      findings.warn('tor', `service ${service.name} (Tor) is left out; Archipelago has no Tor support yet`);
    return !isTor;
  });
  if (services.length === 0) {
    findings.refuse('unsupported', 'the app is only a Tor service');
    return undefined;
  }
  const names = new Map<string, string>();
  for (const service of services) {
    let name = serviceNameFor(service.name);
    for (let n = 2; [...names.values()].includes(name); n += 1)
      name = `${serviceNameFor(service.name).slice(0, 28)}-${n}`;
    names.set(service.name, name);
  }
  const hosts = hostNames(
    app.id,
    services.map((service) => ({
      composeName: service.name,
      name: names.get(service.name)!,
      ipv4Address: service.ipv4Address,
      containerName: service.containerName,
    })),
    (variable) => exports.literal.get(variable),
  );
  const interpolator = new Interpolator({
    appId: app.id,
    appVersion: app.version,
    appPort: app.port,
    exports,
    dependencies: app.dependencies,
    serviceByIp: hosts.byIp,
    findings,
  });
  const text = (value: string, where: string) => {
    const result = interpolator.interpolate(value, where);
    return { ...result, text: hosts.rewrite(result.text) };
  };

  // The web UI: the app_proxy's APP_HOST service, published on umbrel-app.yml's port.
  let main: string | undefined;
  let uiPort: number | undefined;
  if (proxy) {
    main = text(proxy.host, 'app_proxy APP_HOST').text.trim();
    if (![...names.values()].includes(main)) {
      findings.refuse(
        'invalid',
        `the app_proxy sends the web UI to ${proxy.host}, which is none of the app's services`,
      );
      return undefined;
    }
    uiPort = portNumber(text(proxy.port, 'app_proxy APP_PORT').text);
    if (uiPort === undefined)
      findings.refuse('invalid', `the app_proxy's APP_PORT ${proxy.port} is not a port number`);
    if (app.port !== undefined && app.port < 1024)
      findings.refuse(
        'host-port',
        `the web UI is published on port ${app.port}, below 1024, which is the host's own`,
      );
    if (proxy.authAdded)
      findings.warn(
        'app-proxy-auth',
        "Umbrel's login in front of the web UI is not reproduced: the app's own UI is reachable on your network as the app itself protects it",
      );
  } else {
    findings.warn(
      'no-web-ui',
      'the app has no app_proxy (no web UI on Umbrel); its first service is the main one',
    );
  }
  main ??= names.get(services[0]!.name)!;

  const out: Record<string, ServiceOut> = {};
  const hostKeys = new Map<string, { service: string; volume: MappedVolume }>();
  const lightningMounts: Array<{ service: string; mount: LightningMount }> = [];
  const rawTexts = new Map<string, string[]>();
  const hostPorts = new Set<string>();
  for (const service of services) {
    const name = names.get(service.name)!;
    const where = `service ${service.name}`;
    const spec: ServiceOut = {};
    const uses = new Set<string>();
    const user = service.user === undefined ? undefined : text(service.user, `${where} user`).text;
    judgeService({ ...service, user }, findings);
    if (service.image) spec.image = pinnedImage(service.image.trim());

    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(service.environment)) {
      if (value === null) continue;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
        findings.refuse(
          'unsupported',
          `${where} sets the variable ${key}, a name Archipelago manifests do not take (letters, digits and _ only)`,
        );
        continue;
      }
      const mapped = text(value, `${where} ${key}`);
      if (mapped.tor) continue;
      mapped.uses.forEach((iface) => uses.add(iface));
      env[key] = mapped.text;
    }
    if (Object.keys(env).length > 0) spec.env = env;
    for (const key of ['command', 'entrypoint'] as const) {
      const value = service[key];
      if (value === undefined) continue;
      const parts =
        typeof value === 'string'
          ? [text(value, `${where} ${key}`)]
          : value.map((part, index) => text(part, `${where} ${key} argument ${index + 1}`));
      parts.forEach((part) => part.uses.forEach((iface) => uses.add(iface)));
      const argv =
        typeof value === 'string'
          ? splitCommandLine(parts[0]!.text)
          : parts.filter((part) => !part.tor).map((part) => part.text);
      const kept = argv.filter((word) => word !== '');
      if (kept.length > 0) spec[key] = kept;
    }
    rawTexts.set(service.name, [
      ...Object.values(service.environment).filter((value): value is string => value !== null),
      ...[service.command, service.entrypoint]
        .flat()
        .filter((value): value is string => typeof value === 'string'),
    ]);

    const ports: NonNullable<ServiceOut['ports']> = [];
    for (const entry of service.ports) {
      const port = mapPort(text(entry, `${where} port`).text, where, findings);
      if (!port) continue;
      const key = `${port.host}/${port.protocol ?? 'tcp'}`;
      if (hostPorts.has(key)) continue;
      hostPorts.add(key);
      ports.push(port);
    }
    if (
      name === main &&
      uiPort !== undefined &&
      app.port !== undefined &&
      !hostPorts.has(`${app.port}/tcp`)
    ) {
      hostPorts.add(`${app.port}/tcp`);
      ports.unshift({ container: uiPort, host: app.port });
    }
    if (ports.length > 0) spec.ports = ports;

    const mapped = mapVolumes(service.name, service.volumes, shipped, findings);
    const volumes: NonNullable<ServiceOut['volumes']> = [];
    for (const volume of mapped.volumes) {
      for (const [key, other] of hostKeys) {
        const nested =
          key === volume.hostKey ||
          key.startsWith(`${volume.hostKey}/`) ||
          volume.hostKey.startsWith(`${key}/`) ||
          volume.hostKey === '' ||
          key === '';
        const sameKind = key.startsWith('volume:') === volume.hostKey.startsWith('volume:');
        if (nested && sameKind && (other.service !== service.name || key === volume.hostKey))
          findings.refuse(
            'shared-volume',
            other.service === service.name
              ? `service ${service.name} mounts ${describeKey(volume.hostKey)} twice (${other.volume.mount}, ${volume.mount}); a volume is mounted once`
              : `services ${other.service} and ${service.name} share ${describeKey(volume.hostKey === '' || key.startsWith(`${volume.hostKey}/`) ? volume.hostKey : key)}; services here never share a volume (each runs as its own user, and one would take the other's files)`,
          );
      }
      hostKeys.set(volume.hostKey, { service: service.name, volume });
      volumes.push({
        mount: volume.mount,
        name: volume.name,
        ...(volume.readOnly ? { readOnly: true as const } : {}),
        ...(volume.seedFiles && { seed: `seed/${volume.name}` }),
      });
      if (volume.seedFiles)
        seeds.push({ volume: volume.name, from: volume.hostKey, files: volume.seedFiles });
    }
    if (volumes.length > 0) spec.volumes = volumes;
    for (const mount of mapped.lightning) {
      lightningMounts.push({ service: service.name, mount });
      uses.add('lightning-node');
    }

    const capAdd = (Array.isArray(service.raw.cap_add) ? service.raw.cap_add : [])
      .map((cap) => normalizeCapability(String(cap)))
      .filter((cap) => ALLOWED_CAPABILITIES.has(cap));
    const security: NonNullable<ServiceOut['security']> = {
      // Umbrel's containers have a writable root; many images write there (pid files, caches).
      readOnlyRootfs: service.raw.read_only === true,
    };
    if (user !== undefined) security.user = user.trim();
    if (capAdd.length > 0) security.capAdd = [...new Set(capAdd)];
    if (mapped.tmpfs.length > 0) security.tmpfs = mapped.tmpfs;
    spec.security = security;

    const health = healthFor(service.raw.healthcheck, (part) => {
      const mappedPart = text(part, `${where} healthcheck`);
      return mappedPart.tor ||
        mappedPart.refused ||
        mappedPart.uses.size > 0 ||
        mappedPart.text.includes('${ARCHY_')
        ? undefined
        : mappedPart.text;
    });
    if (health) spec.health = health;
    else if (
      service.raw.healthcheck !== undefined &&
      (service.raw.healthcheck as { disable?: unknown }).disable !== true
    )
      findings.warn('dropped', `${where}: its healthcheck could not be carried over and is dropped`);
    const stop = durationFor(service.raw.stop_grace_period);
    if (stop) spec.stopTimeout = stop;
    const dependsOn = service.dependsOn
      .map((other) => names.get(other))
      .filter((other): other is string => !!other);
    if (dependsOn.length > 0) spec.dependsOn = [...new Set(dependsOn)];
    if (uses.size > 0) spec.uses = [...uses].sort();
    out[name] = spec;
  }

  const dependencies = mapDependencies(app, out, findings);
  if (lightningMounts.length > 0) {
    const files = lightningFiles(lightningMounts, (service) => rawTexts.get(service) ?? [], findings);
    const lightning = dependencies.find((dependency) => dependency.id === 'lightning-node');
    if (files && lightning && (files.tlsCert || files.credential)) lightning.files = files;
  }
  if (source.hasHooks)
    findings.warn(
      'hooks',
      "the app's hooks/ scripts (which umbrelOS runs around install and start) are not run; whatever they prepare is missing",
    );

  const ordered: Record<string, ServiceOut> = { [main]: out[main]! };
  for (const [name, spec] of Object.entries(out)) if (name !== main) ordered[name] = spec;
  const manifest: Record<string, unknown> = {
    id: app.id,
    name: app.name.slice(0, 80),
    version: ourVersion(app.version),
    category: CATEGORIES[app.category ?? ''] ?? 'self-hosted',
  };
  const description = app.tagline ?? app.description;
  if (description) manifest.description = description;
  if (app.website && /^https?:\/\//.test(app.website)) manifest.homepage = app.website;
  manifest.origin = {
    kind: 'umbrel',
    app: app.id,
    upstreamVersion: app.version,
    source: 'getumbrel/umbrel-apps',
  };
  const login = webLogin(app, interpolator);
  if (login) manifest.webLogin = login;
  if (dependencies.length > 0) manifest.dependencies = dependencies;
  manifest.main = main;
  manifest.services = ordered;
  return manifest;
}

/**
 * `repo:latest@sha256:…` → `repo@sha256:…`: the digest is what runs, and our parser refuses a
 * moving tag beside it (it reads as a promise the digest does not keep).
 */
function pinnedImage(image: string): string {
  const match = /^(.+?)(:[^/:@]+)(@sha256:[0-9a-f]{64})$/.exec(image);
  if (!match || !isFloatingTag(match[2]!.slice(1))) return image;
  return `${match[1]}${match[3]}`;
}

function describeKey(key: string): string {
  if (key.startsWith('volume:')) return `the volume ${key.slice(7)}`;
  return key === '' ? "the app's data folder" : `the folder ${key}`;
}

function portNumber(text: string): number | undefined {
  const value = Number(text.trim());
  return Number.isInteger(value) && value >= 1 && value <= 65535 ? value : undefined;
}

/** "[ip:]host:container[/proto]" → our port, or undefined (reported). */
function mapPort(
  entry: string,
  where: string,
  findings: Findings,
): { container: number; host: number; protocol?: 'udp'; expose?: 'local' } | undefined {
  if (entry.includes('${ARCHY_')) {
    findings.refuse(
      'unknown-variable',
      `${where} publishes a port named by another app's variable (${entry})`,
    );
    return undefined;
  }
  const [spec = '', protocol = 'tcp'] = entry.trim().split('/');
  const parts = spec.split(':');
  const container = portNumber(parts.at(-1) ?? '');
  const host = parts.length >= 2 ? portNumber(parts.at(-2) ?? '') : undefined;
  const address = parts.length >= 3 ? parts.slice(0, -2).join(':') : undefined;
  if (
    container === undefined ||
    (parts.length >= 2 && host === undefined) ||
    (protocol !== 'tcp' && protocol !== 'udp')
  ) {
    findings.refuse(
      'unsupported',
      `${where} publishes ${entry}, a port form Archipelago cannot express (one port per entry)`,
    );
    return undefined;
  }
  if (host === undefined) {
    findings.warn('dropped', `${where}: port ${entry} without a host port is not published`);
    return undefined;
  }
  if (host < 1024) {
    findings.refuse(
      'host-port',
      `${where} publishes host port ${host}, below 1024: those are the host's own services (SSH, DNS, the web), which an app may not take over`,
    );
    return undefined;
  }
  return {
    container,
    host,
    ...(protocol === 'udp' ? { protocol: 'udp' as const } : {}),
    ...(address === '127.0.0.1' || address === 'localhost' ? { expose: 'local' as const } : {}),
  };
}

function mapDependencies(
  app: UmbrelAppFile,
  services: Record<string, ServiceOut>,
  findings: Findings,
): Array<{ id: string; files?: { tlsCert?: string; credential?: string } }> {
  const ids: string[] = [];
  for (const dependency of app.dependencies) {
    const iface = DEPENDENCY_INTERFACES[dependency];
    if (iface === undefined)
      findings.refuse(
        'unknown-dependency',
        `the app needs the Umbrel app ${dependency}, which has no counterpart here (bitcoin, bitcoin-knots, lightning, electrs and fulcrum do)`,
      );
    else if (!ids.includes(iface)) ids.push(iface);
  }
  // A service reading a dependency's variables needs it even when umbrel-app.yml forgot to list it.
  for (const spec of Object.values(services))
    for (const iface of spec.uses ?? []) if (!ids.includes(iface)) ids.push(iface);
  return ids.map((id) => ({ id }));
}

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/;

/** Umbrel's version as ours (tag-safe characters); the verbatim one stays in origin. */
function ourVersion(version: string): string {
  if (VERSION.test(version)) return version;
  const cleaned = version
    .replace(/[^A-Za-z0-9._+~-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return cleaned === '' ? '0' : cleaned;
}

function webLogin(
  app: UmbrelAppFile,
  interpolator: Interpolator,
): { username?: string; password?: string } | undefined {
  const login: { username?: string; password?: string } = {};
  if (app.defaultUsername) login.username = app.defaultUsername;
  if (app.deterministicPassword) login.password = '${ARCHY_APP_PASSWORD}';
  else if (app.defaultPassword) {
    const scratch = interpolator.interpolate(app.defaultPassword, 'defaultPassword');
    if (!scratch.refused && !scratch.tor && scratch.uses.size === 0 && scratch.text !== '')
      login.password = scratch.text;
  }
  return login.username || login.password ? login : undefined;
}
