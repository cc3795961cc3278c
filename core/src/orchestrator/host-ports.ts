import { createServer } from 'node:net';

/**
 * Whether a host port can be bound right now. Checked before an install so a taken port is
 * refused with a clear message instead of surfacing as Podman's start error after a pull.
 */
export function isHostPortFree(port: number, protocolHost: { host: string }): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen({ port, host: protocolHost.host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}
