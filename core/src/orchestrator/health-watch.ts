// Which apps are being probed, and how a probe reaches an app's container. The monitor decides
// nothing: a change of health goes to `onChange` (the facade routes it to supervision).

import type { ProbeResult } from '../kernel/index.js';
import {
  containerProbeTarget,
  healthCheckFor,
  HealthMonitor,
  HealthTracker,
  type ProbeTarget,
} from '../health/index.js';
import type { PodmanClient } from '../podman/index.js';
import type { SecretStore } from '../security/secrets/index.js';
import type { ServiceSpec } from '../manifest/index.js';
import type { AppRuntime } from './app-runtime.js';
import { containerNameOf, isMainService, serviceView } from './app-services.js';
import { bitcoinRpcCredentials } from './bitcoin-rpc.js';
import { containerName } from '../podman/naming.js';

/** The monitor's key for a service other than the main: `_` never appears in an app id. */
const serviceKey = (id: string, service: string): string => `${id}_${service}`;

export class HealthWatch {
  private readonly monitor: HealthMonitor;
  /** The monitor keys of each app's other services being probed. */
  private readonly serviceKeys = new Map<string, Map<string, string>>();
  /** The container run each service's tracker belongs to. */
  private readonly runs = new Map<string, string>();

  constructor(
    private readonly podman: PodmanClient,
    private readonly secrets: SecretStore | undefined,
    onChange: (id: string, tracker: HealthTracker, result: ProbeResult, service?: string) => void,
  ) {
    this.monitor = new HealthMonitor((key, tracker, result) => {
      const owner = this.ownerOf(key);
      if (owner) onChange(owner.id, tracker, result, owner.service);
      else onChange(key, tracker, result);
    });
  }

  /**
   * Starts probing an app whose containers (re)started: the main service as the app, every other
   * service with a check of its own. A service without a health check has nothing to probe.
   */
  watch(runtime: AppRuntime): void {
    const check = healthCheckFor(runtime.manifest);
    if (check) {
      runtime.health ??= new HealthTracker(check, Date.now());
      this.monitor.watch(runtime.record.id, check, this.probeTarget(runtime), runtime.health);
    }
    for (const service of runtime.manifest.services) {
      if (isMainService(runtime.manifest, service)) continue;
      this.watchService(runtime, service);
    }
  }

  isWatching(id: string): boolean {
    return this.monitor.isWatching(id);
  }

  unwatch(id: string): void {
    this.monitor.unwatch(id);
    for (const key of this.serviceKeys.get(id)?.keys() ?? []) {
      this.monitor.unwatch(key);
      this.runs.delete(key);
    }
    this.serviceKeys.delete(id);
  }

  private watchService(runtime: AppRuntime, service: ServiceSpec): void {
    // The bitcoin probe is the main's (the schema keeps it there).
    const check = healthCheckFor(serviceView(runtime.manifest, service));
    if (!check) return;
    const id = runtime.record.id;
    const trackers = (runtime.serviceHealth ??= {});
    // A fresh tracker for each run of the service's container, as the main's gets one per start.
    const observed = runtime.services?.[service.name];
    const run = observed ? `${observed.id}@${observed.startedAt ?? ''}` : '';
    let tracker = trackers[service.name];
    if (!tracker || this.runs.get(serviceKey(id, service.name)) !== run) {
      tracker = new HealthTracker(check, Date.now());
      trackers[service.name] = tracker;
      this.runs.set(serviceKey(id, service.name), run);
    }
    const key = serviceKey(id, service.name);
    const keys = this.serviceKeys.get(id) ?? new Map<string, string>();
    keys.set(key, service.name);
    this.serviceKeys.set(id, keys);
    const name = containerNameOf(runtime.manifest, service);
    const target = containerProbeTarget({
      appId: id,
      inspect: () => this.podman.inspectContainer(name),
      hostPortFor: (port) => service.ports.find((p) => p.container === port && p.protocol === 'tcp')?.host,
    });
    this.monitor.watch(key, check, target, tracker);
  }

  private ownerOf(key: string): { id: string; service: string } | undefined {
    for (const [id, keys] of this.serviceKeys) {
      const service = keys.get(key);
      if (service !== undefined) return { id, service };
    }
    return undefined;
  }

  /**
   * One probe of the app now, outside the schedule: its main service's and every other watched
   * service's, answered by the first that failed, else the main's; undefined when nothing is watched.
   */
  async probeNow(id: string): Promise<ProbeResult | undefined> {
    const keys = [...(this.serviceKeys.get(id)?.keys() ?? [])];
    const results = await Promise.all([id, ...keys].map((key) => this.monitor.probeNow(key)));
    return results.find((result) => result && !result.ok) ?? results.find((result) => result !== undefined);
  }

  stopAll(): void {
    this.monitor.stopAll();
  }

  private probeTarget(runtime: AppRuntime): ProbeTarget {
    const id = runtime.record.id;
    const secrets = this.secrets;
    // No podman exec: each of its sessions keeps a conmon pair alive for five minutes on Podman
    // 4.3. The target enters the container's namespaces itself (health/container-target.ts).
    return containerProbeTarget({
      appId: id,
      inspect: () => this.podman.inspectContainer(containerName(id)),
      hostPortFor: (containerPort) =>
        (runtime.manifest.ports ?? []).find((p) => p.container === containerPort && p.protocol === 'tcp')
          ?.host,
      bitcoinRpcCredentials: () => bitcoinRpcCredentials(secrets, id),
    });
  }
}
