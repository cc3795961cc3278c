// An app's services, normalized: a single-container manifest becomes one service named `main`
// made of its top-level fields; a multi-service manifest's services are listed main first, and
// the app-level fields say what the rest of the daemon has always read there (the main's
// container, all services' ports and volumes, the summed resources).

import type { AppManifest, PortSpec, ResourceSpec, SecuritySpec, ServiceSpec, VolumeSpec } from './types.js';

/** Service names become container and DNS names (`archy-<id>_<service>`). */
export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

/** The name of the one service of a single-container manifest. */
export const SINGLE_SERVICE_NAME = 'main';

type Container = Omit<ServiceSpec, 'name' | 'dependsOn' | 'uses'>;
type OptionalContainer = { [K in keyof Container]?: Container[K] | undefined };
type RawService = Container & { dependsOn: string[]; uses?: string[] | undefined };

/** The schema's output before normalization: top-level container keys without defaults. */
export type RawManifest = Omit<AppManifest, keyof Container | 'services' | 'main'> &
  OptionalContainer & {
    main?: string | undefined;
    services?: Record<string, RawService> | undefined;
  };

export interface ContainerDefaults {
  env: Record<string, string>;
  ports: PortSpec[];
  volumes: VolumeSpec[];
  resources: ResourceSpec;
  security: SecuritySpec;
  stopTimeout: number;
}

/** Builds the normalized manifest from a validated one (schema.ts has checked every rule). */
export function normalizeServices(raw: RawManifest, defaults: ContainerDefaults): AppManifest {
  const { services: listed, main: mainName, ...rest } = raw;
  const app = withoutContainerKeys(rest);
  if (listed === undefined) {
    const main: ServiceSpec = {
      name: SINGLE_SERVICE_NAME,
      ...definedOnly({
        image: raw.image ?? '',
        build: raw.build,
        command: raw.command,
        entrypoint: raw.entrypoint,
        env: raw.env ?? { ...defaults.env },
        ports: raw.ports ?? [],
        volumes: raw.volumes ?? [],
        resources: raw.resources ?? { ...defaults.resources },
        security: raw.security ?? structuredClone(defaults.security),
        health: raw.health,
        stopTimeout: raw.stopTimeout ?? defaults.stopTimeout,
      }),
      dependsOn: [],
      uses: raw.dependencies.map((dependency) => dependency.id),
    };
    return { ...app, ...appLevelFields(main, [main]), services: [main], main: SINGLE_SERVICE_NAME };
  }
  const entries = Object.entries(listed);
  const mainKey = mainName ?? entries[0]![0];
  const services = entries
    .map(([name, service]): ServiceSpec => ({ ...service, name, uses: service.uses ?? [] }))
    .sort((a, b) => Number(b.name === mainKey) - Number(a.name === mainKey));
  return { ...app, ...appLevelFields(services[0]!, services), services, main: mainKey };
}

/** The app-level container fields: the main's own, every service's ports and volumes, summed resources. */
function appLevelFields(main: ServiceSpec, all: ServiceSpec[]): Container {
  return definedOnly({
    image: main.image,
    build: main.build,
    command: main.command,
    entrypoint: main.entrypoint,
    env: main.env,
    ports: all.flatMap((service) => service.ports),
    volumes: all.flatMap((service) => service.volumes),
    resources: sumResources(all.map((service) => service.resources)),
    security: main.security,
    health: main.health,
    stopTimeout: main.stopTimeout,
  }) as Container;
}

const RESOURCE_FIELDS = ['memory', 'memoryReservation', 'cpus', 'pids', 'minDisk'] as const;

/** Each field summed over the services that set it; absent when none does. */
export function sumResources(list: readonly ResourceSpec[]): ResourceSpec {
  const total: ResourceSpec = {};
  for (const field of RESOURCE_FIELDS) {
    const values = list.map((spec) => spec[field]).filter((value) => value !== undefined);
    if (values.length === 0) continue;
    const sum = values.reduce((a, b) => a + b, 0);
    // CPUs are fractions: 0.1 + 0.2 should read 0.3, not 0.30000000000000004.
    total[field] = field === 'cpus' ? Math.round(sum * 1000) / 1000 : sum;
  }
  return total;
}

function withoutContainerKeys<T extends OptionalContainer>(value: T): Omit<T, keyof Container> {
  const {
    image: _image,
    build: _build,
    command: _command,
    entrypoint: _entrypoint,
    env: _env,
    ports: _ports,
    volumes: _volumes,
    resources: _resources,
    security: _security,
    health: _health,
    stopTimeout: _stopTimeout,
    ...rest
  } = value;
  return rest;
}

/** Drops keys whose value is undefined, so an absent optional field stays absent. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
