// A service of a multi-service app waits for the services it depends on: running, and healthy
// when they declare a check. Probed as the health monitor probes (containerProbeTarget), once
// per step of the start, not on the monitor's schedule.

import { RpcErrorCode, ArchyError } from '../kernel/index.js';
import { containerProbeTarget, healthCheckFor, runProbe } from '../health/index.js';
import type { AppManifest, ServiceSpec } from '../manifest/index.js';
import type { PodmanClient } from '../podman/index.js';
import { serviceView } from './app-services.js';

/** The longest a start waits for one service it depends on, whatever its check allows. */
export const SERVICE_WAIT_CAP_MS = 120_000;
const GAP_MS = 250;

/**
 * Waits until the service's container runs and, if it declares a health check, a probe passes
 * (bounded by the check's start period and retries). A StartFailed says which service and why.
 */
export async function waitForService(
  podman: Pick<PodmanClient, 'inspectContainer'>,
  options: { appId: string; manifest: AppManifest; service: ServiceSpec; container: string },
): Promise<void> {
  const { appId, manifest, service, container } = options;
  const view = serviceView(manifest, service);
  const check = healthCheckFor(view);
  const bound = check ? Math.min(SERVICE_WAIT_CAP_MS, check.startPeriod + check.interval * check.retries) : 0;
  const deadline = Date.now() + bound;
  const target = containerProbeTarget({
    appId,
    inspect: () => podman.inspectContainer(container),
    hostPortFor: (port) => service.ports.find((p) => p.container === port && p.protocol === 'tcp')?.host,
  });
  let last = 'no probe answered yet';
  for (;;) {
    const inspect = await podman.inspectContainer(container);
    if (!inspect?.State.Running) {
      const code = inspect?.State.ExitCode;
      throw new ArchyError(
        RpcErrorCode.StartFailed,
        `service '${service.name}' of '${appId}' exited${code !== undefined ? ` with status ${code}` : ''} before the services that depend on it could start; see 'archy logs ${appId} --service ${service.name}'`,
      );
    }
    if (!check) return;
    const result = await runProbe(check, target);
    if (result.ok) return;
    last = result.detail;
    if (Date.now() >= deadline) {
      throw new ArchyError(
        RpcErrorCode.StartFailed,
        `service '${service.name}' of '${appId}' was not healthy within ${Math.round(bound / 1000)} s (last: ${last}); the services that depend on it were not started`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  }
}
