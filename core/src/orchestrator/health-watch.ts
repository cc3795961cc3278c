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
import type { AppRuntime } from './app-runtime.js';
import { bitcoinRpcCredentials } from './bitcoin-rpc.js';
import { containerName } from '../podman/naming.js';

export class HealthWatch {
  private readonly monitor: HealthMonitor;

  constructor(
    private readonly podman: PodmanClient,
    private readonly secrets: SecretStore | undefined,
    onChange: (id: string, tracker: HealthTracker, result: ProbeResult) => void,
  ) {
    this.monitor = new HealthMonitor(onChange);
  }

  /** Starts probing an app whose container (re)started; an app without a health check has nothing to probe. */
  watch(runtime: AppRuntime): void {
    const check = healthCheckFor(runtime.manifest);
    if (!check) return;
    runtime.health ??= new HealthTracker(check, Date.now());
    this.monitor.watch(runtime.record.id, check, this.probeTarget(runtime), runtime.health);
  }

  isWatching(id: string): boolean {
    return this.monitor.isWatching(id);
  }

  unwatch(id: string): void {
    this.monitor.unwatch(id);
  }

  /** One probe now, outside the schedule; undefined when the app is not watched. */
  probeNow(id: string): Promise<ProbeResult | undefined> {
    return this.monitor.probeNow(id);
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
