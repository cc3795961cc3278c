import type { IncomingMessage } from 'node:http';

// Requests that came through the node's onion service (Tor forwards them to the daemon's unix
// socket `tor/run/ui.sock`): every one of them arrives from the same place, so the usual per-address
// rules cannot tell two Tor users apart, nor a Tor user from the node itself. The onion listener
// marks each request it hands to the one Fastify pipeline; the web login reads the mark.

const marked = new WeakSet<IncomingMessage>();

/** The login throttle's one bucket for every request over the onion service. */
export const ONION_CLIENT_KEY = 'onion';

/** Called by the onion listener for each request (and WebSocket upgrade) before routing it. */
export function markViaOnion(request: IncomingMessage): void {
  marked.add(request);
}

/** Whether the request came in over the onion listener (never settable by a header). */
export function isViaOnion(request: IncomingMessage): boolean {
  return marked.has(request);
}
