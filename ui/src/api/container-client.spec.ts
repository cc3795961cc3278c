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

  it('unwraps catalog-list', async () => {
    const { fetch } = fakeFetch(() => ({
      body: { jsonrpc: '2.0', id: 1, result: { apps: [{ id: 'hello' }] } },
    }));
    await expect(new ContainerClient({ fetch }).catalog()).resolves.toEqual([{ id: 'hello' }]);
  });
});
