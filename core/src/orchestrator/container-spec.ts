import type { ContainerCreateSpec } from '../podman/index.js';
import type { AppManifest, ServiceSpec } from '../manifest/index.js';
import type { NetworkLink, ResolvedDependency } from '../resolver/index.js';
import { hardenContainer, type HostConfinement, type UserIds } from '../security/policy/index.js';
import { dependencyEnv } from './dependency-env.js';
import type { DataLayout } from '../layout/index.js';
import { LABEL, labelsFor, networkName, servicesNetworkName } from '../podman/naming.js';
import { containerNameOf, isMainService, isMultiService, serviceView } from './app-services.js';

// CFS period Podman uses by default; a quota of cpus × period gives the manifest's CPU share.
const CPU_PERIOD_US = 100_000;

/**
 * The Podman create spec for one service of an app (a single-container app's one service is
 * `main`): pure, so what every manifest turns into is unit-tested without Podman. Volumes are
 * always under the app's own data dir; the manifest has no way to name a host path. The
 * container policy (security/policy) decides the security fields and refuses, with a
 * PolicyError, a manifest asking for more than it may have.
 */
export function buildContainerSpec(
  app: AppManifest,
  service: ServiceSpec,
  options: {
    layout: DataLayout;
    image: string;
    version: string;
    /** Networks of dependencies this app joins (its own links as the dependent); a service joins those it `uses`. */
    links?: readonly NetworkLink[];
    /** The app's resolved dependencies; a service gets the env of those it `uses`. */
    dependencies?: readonly ResolvedDependency[];
    /** Capabilities beyond the allowlist that the catalog granted and the user confirmed. */
    grantedCapabilities?: readonly string[];
    /** AppArmor/SELinux the host can apply (detected at daemon start); absent adds none. */
    confinement?: HostConfinement;
    /**
     * The image's own user resolved to ids (resolveImageUser); absent when the image names none,
     * and then the app gets DEFAULT_APP_USER. Root's uid or gid is refused (PolicyError).
     */
    imageUser?: UserIds;
  },
): ContainerCreateSpec {
  const { layout, image, version } = options;
  const id = app.id;
  // The service's container fields in the app's manifest: what the policy and the rest read.
  const manifest = serviceView(app, service);
  const main = isMainService(app, service);
  const hardening = hardenContainer(manifest, {
    grantedCapabilities: options.grantedCapabilities ?? [],
    ...(options.confinement ? { confinement: options.confinement } : {}),
    ...(options.imageUser !== undefined ? { imageUser: options.imageUser } : {}),
  });
  const networks: NonNullable<ContainerCreateSpec['Networks']> = {};
  // Dependents reach the app on its network by its id and by each interface it provides: that
  // is the main service. The app's services reach each other by name on their own network,
  // which no other app joins.
  if (main) networks[networkName(id)] = { aliases: [id, ...manifest.provides.filter((name) => name !== id)] };
  if (isMultiService(app)) networks[servicesNetworkName(id)] = { aliases: [service.name] };
  const uses = new Set(service.uses);
  const dependencies = (options.dependencies ?? []).filter((dependency) => uses.has(dependency.requested));
  const usedApps = new Set(dependencies.map((dependency) => dependency.appId));
  for (const link of options.links ?? []) {
    if (link.dependent === id && usedApps.has(link.dependency))
      networks[networkName(link.dependency)] = { aliases: [id] };
  }
  const spec: ContainerCreateSpec = {
    name: containerNameOf(app, service),
    image,
    labels: { ...labelsFor(id, version, layout.root), [LABEL.service]: service.name },
    env: { ...dependencyEnv(dependencies), ...manifest.env },
    netns: { nsmode: 'bridge' },
    Networks: networks,
    portmappings: (manifest.ports ?? []).map((port) => ({
      container_port: port.container,
      host_port: port.host,
      protocol: port.protocol,
      ...(port.expose === 'local' ? { host_ip: '127.0.0.1' } : {}),
    })),
    mounts: [
      ...(manifest.volumes ?? []).map((volume) => ({
        Type: 'bind' as const,
        Source: layout.volumeDir(id, volume.name),
        Destination: volume.mount,
        // `U` chowns the dir to the container's user, so non-root images can write their data.
        Options: ['rbind', volume.readOnly ? 'ro' : 'rw', 'U', ...hardening.volumeOptions],
      })),
      ...hardening.tmpfsMounts,
    ],
    stop_timeout: Math.ceil(manifest.stopTimeout / 1000),
    // Podman restarts a crashed container at once, at most once per start the daemon makes (a start
    // or restart resets its count): the fast path after a crash. The daemon still decides backoff
    // and crash loops (supervisor.ts, crash-recovery.ts); exit 0 and `podman kill`/`stop` are never
    // restarted by Podman.
    restart_policy: 'on-failure',
    restart_tries: 1,
    // A tiny init as PID 1 forwards signals and reaps zombies: many app processes ignore
    // SIGTERM when they are PID 1, which would turn every stop into a wait for the SIGKILL.
    init: true,
    ...hardening.fields,
  };
  if (manifest.command) spec.command = manifest.command;
  if (manifest.entrypoint) spec.entrypoint = manifest.entrypoint;
  const resources = manifest.resources;
  if (resources) {
    const limits: NonNullable<ContainerCreateSpec['resource_limits']> = {};
    if (resources.memory !== undefined || resources.memoryReservation !== undefined) {
      limits.memory = {};
      if (resources.memory !== undefined) limits.memory.limit = resources.memory;
      if (resources.memoryReservation !== undefined) limits.memory.reservation = resources.memoryReservation;
    }
    if (resources.cpus !== undefined) {
      limits.cpu = { quota: Math.round(resources.cpus * CPU_PERIOD_US), period: CPU_PERIOD_US };
    }
    if (resources.pids !== undefined) limits.pids = { limit: resources.pids };
    if (Object.keys(limits).length > 0) spec.resource_limits = limits;
  }
  return spec;
}
