// An app's published host ports, checked at install and again before every start: a port can be
// taken while an app is stopped (or while the daemon was down), and Podman's own error comes late
// and says little — for UDP it may say nothing at all. Ports of the node's own services (its API,
// its registry) are refused outright, whether or not they are listening at that moment.

import { RpcErrorCode } from '../kernel/index.js';
import type { PortSpec } from '../manifest/index.js';
import { ArchyError } from '../kernel/index.js';
import { isHostPortFree, type ReservedPort } from './host-ports.js';
import { describePortHolder, type PortProtocol } from './port-holder.js';

const RETRY_MS = 100;

export interface PortCheckOptions {
  /** Ports no app may publish (the daemon's API, the local registry). */
  reserved: readonly ReservedPort[];
  /** The other app of this node that publishes this port, if any: named before any process. */
  appUsing?: (port: number, protocol: PortProtocol) => string | undefined;
  /**
   * How long a taken port may take to come free before it is refused: a start right after a stop
   * may find the old container's port forwarder still going away. 0 at install.
   */
  graceMs?: number;
}

/** Throws a Conflict naming the first published port that is reserved or taken, and who has it. */
export async function assertHostPortsFree(
  ports: readonly PortSpec[],
  options: PortCheckOptions,
): Promise<void> {
  for (const [index, port] of ports.entries()) {
    const where = `host port ${port.host}/${port.protocol} (ports[${index}].host)`;
    const reserved = options.reserved.find((r) => r.port === port.host && r.protocol === port.protocol);
    if (reserved) {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `${where} is reserved for ${reserved.owner}; choose another host port in the manifest`,
      );
    }
    if (await freeWithin(port, options.graceMs ?? 0)) continue;
    const app = options.appUsing?.(port.host, port.protocol);
    const holder = app !== undefined ? `app '${app}'` : await describePortHolder(port.host, port.protocol);
    throw new ArchyError(
      RpcErrorCode.Conflict,
      `${where} is already in use by ${holder}; stop it or choose another host port in the manifest`,
    );
  }
}

async function freeWithin(port: PortSpec, graceMs: number): Promise<boolean> {
  const host = port.expose === 'local' ? '127.0.0.1' : '0.0.0.0';
  const deadline = Date.now() + graceMs;
  for (;;) {
    if (await isHostPortFree(port.host, { host, protocol: port.protocol })) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}
