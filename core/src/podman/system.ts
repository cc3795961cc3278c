import type { PodmanTransport } from './transport.js';

/** What the daemon needs to know about the Podman host; a typed subset of `GET /libpod/info`. */
export interface PodmanInfo {
  version: string;
  apiVersion: string;
  rootless: boolean;
  /** SELinux is enabled on the host (the daemon then labels apps' containers and volumes). */
  selinuxEnabled: boolean;
  cgroupVersion: 'v1' | 'v2';
  cgroupManager: string;
  /** Controllers delegated to this user; empty on cgroup v1 rootless. */
  cgroupControllers: string[];
  networkBackend: string;
  memTotal: number;
  memFree: number;
  cpus: number;
  arch: string;
  os: string;
  kernel: string;
  /** Where Podman keeps events: `file` (replayable with `since`), `journald` or `none`. */
  eventLogger: string;
  ociRuntime: string;
  graphDriver: string;
  graphRoot: string;
  /**
   * Which resource limits the kernel will actually enforce for our containers. Rootless Podman on
   * cgroup v1 accepts limits and ignores them; on v2 it needs the controller delegated.
   */
  limitsEnforced: { memory: boolean; cpu: boolean; pids: boolean };
}

interface RawInfo {
  host: {
    arch: string;
    os: string;
    kernel: string;
    cpus: number;
    memTotal: number;
    memFree: number;
    cgroupVersion: string;
    cgroupManager: string;
    cgroupControllers: string[] | null;
    networkBackend: string;
    eventLogger: string;
    ociRuntime?: { name?: string };
    security: { rootless: boolean; selinuxEnabled?: boolean };
  };
  store: { graphDriverName: string; graphRoot: string };
  version: { Version: string; APIVersion: string };
}

export async function ping(t: PodmanTransport, signal?: AbortSignal): Promise<void> {
  await t.call('GET', '/libpod/_ping', { signal, timeoutMs: 10_000 });
}

export async function info(t: PodmanTransport, signal?: AbortSignal): Promise<PodmanInfo> {
  const raw = await t.json<RawInfo>('GET', '/libpod/info', { signal });
  const host = raw.host;
  const rootless = host.security.rootless;
  const cgroupVersion = host.cgroupVersion === 'v2' ? 'v2' : 'v1';
  const controllers = host.cgroupControllers ?? [];
  const enforced = (controller: string): boolean =>
    !rootless || (cgroupVersion === 'v2' && controllers.includes(controller));
  return {
    version: raw.version.Version,
    apiVersion: raw.version.APIVersion,
    rootless,
    selinuxEnabled: host.security.selinuxEnabled ?? false,
    cgroupVersion,
    cgroupManager: host.cgroupManager,
    cgroupControllers: controllers,
    networkBackend: host.networkBackend,
    memTotal: host.memTotal,
    memFree: host.memFree,
    cpus: host.cpus,
    arch: host.arch,
    os: host.os,
    kernel: host.kernel,
    eventLogger: host.eventLogger,
    ociRuntime: host.ociRuntime?.name ?? '',
    graphDriver: raw.store.graphDriverName,
    graphRoot: raw.store.graphRoot,
    limitsEnforced: { memory: enforced('memory'), cpu: enforced('cpu'), pids: enforced('pids') },
  };
}
