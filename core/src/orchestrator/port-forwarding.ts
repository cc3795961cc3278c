// Rootless Podman publishes a port through a forwarder process (rootlessport) that listens on
// the host. When a crashed container is started again while Podman's own cleanup of its death
// is still running (conmon's `podman container cleanup`, slow on a busy machine), the new
// forwarder can end up gone: the app runs but its published ports refuse every connection until
// the next restart. Seen on this project's CI (Podman 4.3): 36 s of "connection refused" after
// a crash, until the health check gave up. So after a restart the daemon asks the host ports
// themselves: the forwarder accepts a connection whether or not the app is ready yet, so a
// refusal means no forwarder at all.

import { connect } from 'node:net';
import type { PortSpec } from '../manifest/index.js';

/** How long a freshly started container's forwarders get to listen. */
export const FORWARDER_GRACE_MS = 3_000;
const RETRY_MS = 100;

/** The published TCP host ports that refuse connections, after up to `graceMs` of retries. */
export async function unforwardedPorts(
  ports: readonly PortSpec[],
  graceMs = FORWARDER_GRACE_MS,
): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  let refused = ports.filter((p) => p.protocol === 'tcp').map((p) => p.host);
  while (refused.length > 0) {
    const results = await Promise.all(
      refused.map(async (port) => ((await refuses(port)) ? port : undefined)),
    );
    refused = results.filter((port): port is number => port !== undefined);
    if (refused.length === 0 || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  return refused;
}

/** True when nothing listens on 127.0.0.1:port (any other outcome means something does). */
function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (refused: boolean) => {
      socket.destroy();
      resolve(refused);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(false));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
  });
}
