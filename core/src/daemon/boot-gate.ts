// The API binds its port before any app starts — otherwise an app started at boot could publish
// the API's own port and stand in for it — but it answers only once the apps are reconciled: a
// request in between would meet a half-loaded view (an install could even overwrite the record of
// an app not yet adopted). Meanwhile every request gets 503 with a JSON-RPC Busy error.

import type { FastifyInstance } from 'fastify';
import { RpcErrorCode } from '../api/contract.js';

export const STARTING_MESSAGE =
  'the daemon is starting (bringing the apps to their recorded state); try again in a moment';

/** Holds every request with 503 until `open()`; call before the server listens. */
export function gateUntilReady(server: FastifyInstance): { open(): void } {
  let ready = false;
  server.addHook('onRequest', async (_request, reply) => {
    if (ready) return;
    await reply
      .code(503)
      .header('retry-after', '1')
      .header('connection', 'close')
      .send({ jsonrpc: '2.0', id: null, error: { code: RpcErrorCode.Busy, message: STARTING_MESSAGE } });
  });
  return {
    open: () => {
      ready = true;
    },
  };
}
