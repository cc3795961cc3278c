import { createServer, type Server } from 'node:http';
import { chmod, mkdir, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { markViaOnion } from './web-auth/index.js';

// The daemon's second way in, for remote access over Tor: the same Fastify app (its hooks, auth,
// RPC, /ws, the UI's files), reached through a unix socket that the node's Tor forwards its onion
// service's port 80 to. A unix socket rather than a TCP port: nothing on the LAN or in an app's
// network can connect to it, and a request on it is known to have come through Tor — the web login
// marks it so (one throttle bucket for all of Tor, the onion name as the only Host, no Secure cookie).

export interface OnionListener {
  readonly path: string;
  /** Stops accepting, ends open connections and WebSockets, removes the socket file. */
  close(): Promise<void>;
}

/**
 * Serves `app` on the unix socket `path` too (the app must be ready, i.e. listening already or
 * after `app.ready()`). A stale socket file from a killed daemon is replaced. Mode 0600: the
 * node's Tor runs as uid 0 of the daemon user's namespace, which is the daemon's own user.
 */
export async function listenOnOnionSocket(app: FastifyInstance, path: string): Promise<OnionListener> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await rm(path, { force: true });
  const upgraded = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    markViaOnion(request);
    app.routing(request, response);
  });
  // Fastify keeps idle keep-alive connections this long on its own server; the same here.
  server.keepAliveTimeout = 72_000;
  // WebSockets: @fastify/websocket answers upgrades on the app's own server; hand ours over marked.
  server.on('upgrade', (request, socket: Socket, head: Buffer) => {
    markViaOnion(request);
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    app.server.emit('upgrade', request, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
  let closed: Promise<void> | undefined;
  return {
    path,
    close: () => {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        await stopped;
        await rm(path, { force: true });
      })();
      return closed;
    },
  };
}
