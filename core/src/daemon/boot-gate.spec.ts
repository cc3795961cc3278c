import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../api/contract.js';
import { gateUntilReady, STARTING_MESSAGE } from './boot-gate.js';

describe('gateUntilReady', () => {
  it('answers 503 Busy to every route, plugins included, until opened', async () => {
    const server = Fastify();
    void server.register(async (scope) => {
      scope.post('/rpc/v1', async () => ({ ok: true }));
    });
    server.get('/', async () => 'ui');
    const gate = gateUntilReady(server);

    for (const [method, url] of [
      ['POST', '/rpc/v1'],
      ['GET', '/'],
    ] as const) {
      const held = await server.inject({ method, url });
      expect(held.statusCode).toBe(503);
      expect(held.headers['retry-after']).toBe('1');
      expect(held.json()).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: RpcErrorCode.Busy, message: STARTING_MESSAGE },
      });
    }
    gate.open();
    expect((await server.inject({ method: 'POST', url: '/rpc/v1' })).json()).toEqual({ ok: true });
    expect((await server.inject({ method: 'GET', url: '/' })).body).toBe('ui');
    await server.close();
  });
});
