import { describe, expect, it } from 'vitest';
import { fakeFetch } from '../test/fake-socket';
import { ContainerClient, RpcError } from './container-client';

describe('ContainerClient', () => {
  it('maps JSON-RPC errors to RpcError with the daemon message and code', async () => {
    const { fetch, calls } = fakeFetch(() => ({
      body: {
        jsonrpc: '2.0',
        id: 1,
        error: { code: -32601, message: "unknown method 'package.set-version'" },
      },
    }));
    const client = new ContainerClient({ fetch });
    client.csrfToken = 'token';
    const error = await client
      .call('package.set-version', { id: 'bitcoin-core', version: '28.4' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({
      code: -32601,
      message: "unknown method 'package.set-version'",
      methodNotFound: true,
    });
    expect(calls[0]?.body).toMatchObject({
      jsonrpc: '2.0',
      method: 'package.set-version',
      params: { id: 'bitcoin-core' },
    });
    expect((calls[0]?.init.headers as Record<string, string>)['x-csrf-token']).toBe('token');
  });

  it('sends a start or restart as it was, or with what the version guard asked for', async () => {
    const { fetch, calls } = fakeFetch(() => ({ body: { jsonrpc: '2.0', id: 1, result: { id: 'x' } } }));
    const client = new ContainerClient({ fetch });
    await client.start('bitcoin-core');
    await client.start('bitcoin-core', { confirmDowngrade: true });
    await client.restart('bitcoin-core');
    await client.restart('bitcoin-core', { confirmDowngrade: true, confirmResync: 'bitcoin-core' });
    expect(calls.map((call) => call.body)).toMatchObject([
      { method: 'container-start', params: { id: 'bitcoin-core' } },
      { method: 'container-start', params: { id: 'bitcoin-core', confirmDowngrade: true } },
      { method: 'container-restart', params: { id: 'bitcoin-core' } },
      {
        method: 'container-restart',
        params: { id: 'bitcoin-core', confirmDowngrade: true, confirmResync: 'bitcoin-core' },
      },
    ]);
    // Without a confirmation nothing of one is sent.
    expect((calls[0]!.body as { params: object }).params).toEqual({ id: 'bitcoin-core' });
    expect((calls[2]!.body as { params: object }).params).toEqual({ id: 'bitcoin-core' });
  });

  it('unwraps catalog-list', async () => {
    const { fetch } = fakeFetch(() => ({
      body: { jsonrpc: '2.0', id: 1, result: { apps: [{ id: 'hello' }] } },
    }));
    await expect(new ContainerClient({ fetch }).catalog()).resolves.toEqual([{ id: 'hello' }]);
  });
});
