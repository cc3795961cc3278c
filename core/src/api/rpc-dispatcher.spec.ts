import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RpcErrorCode } from './contract.js';
import { ArchyError } from '../kernel/index.js';
import { RpcDispatcher, type RpcMethod } from './rpc-dispatcher.js';
import { editDistance, nearestName } from './nearest-name.js';

function recordingLogger() {
  const errors: { details: object; message: string }[] = [];
  return {
    errors,
    error: (details: object, message: string) => errors.push({ details, message }),
    debug: () => undefined,
  };
}

const calls: string[] = [];
const methods: Record<string, RpcMethod> = {
  'container-start': {
    invoke: async (params) => {
      const { id } = z.strictObject({ id: z.string() }).parse(params);
      calls.push(`start ${id}`);
      return { id, state: 'running' };
    },
  },
  'container-stop': {
    invoke: async (params) => {
      const { id } = z.strictObject({ id: z.string() }).parse(params);
      calls.push(`stop ${id}`);
      return { id, state: 'stopped' };
    },
  },
  'container-logs': {
    invoke: async (params) =>
      z
        .strictObject({
          id: z.string(),
          tail: z.number().int().max(10, { error: 'expected at most 10 lines' }),
        })
        .parse(params),
  },
  'refuses-with-archy-error': {
    invoke: async () => {
      throw new ArchyError(RpcErrorCode.Conflict, "app 'lnd' needs 'bitcoin-node'; install one first", {
        data: { dependent: 'lnd', requested: 'bitcoin-node' },
      });
    },
  },
  'fails-with-a-bug': {
    invoke: async () => {
      throw new Error('ENOENT: /home/archy/.secret/rpcpassword not found');
    },
  },
  'returns-nothing': { invoke: async () => undefined },
};

const dispatcher = (logger = recordingLogger()) => new RpcDispatcher(methods, logger);

describe('RpcDispatcher', () => {
  it('answers a single request with its id', async () => {
    const response = await dispatcher().dispatch({
      jsonrpc: '2.0',
      id: 7,
      method: 'container-start',
      params: { id: 'hello' },
    });
    expect(response).toEqual({ jsonrpc: '2.0', id: 7, result: { id: 'hello', state: 'running' } });
  });

  it('answers null for a method that returns nothing, and accepts omitted params', async () => {
    expect(await dispatcher().dispatch({ jsonrpc: '2.0', id: 'a', method: 'returns-nothing' })).toEqual({
      jsonrpc: '2.0',
      id: 'a',
      result: null,
    });
  });

  it('runs a notification but sends no response', async () => {
    calls.length = 0;
    const response = await dispatcher().dispatch({
      jsonrpc: '2.0',
      method: 'container-stop',
      params: { id: 'hello' },
    });
    expect(response).toBeUndefined();
    expect(calls).toEqual(['stop hello']);
  });

  it('runs a batch in order and answers every request that has an id', async () => {
    calls.length = 0;
    const response = await dispatcher().dispatch([
      { jsonrpc: '2.0', id: 1, method: 'container-stop', params: { id: 'a' } },
      { jsonrpc: '2.0', method: 'container-start', params: { id: 'a' } },
      { jsonrpc: '2.0', id: 2, method: 'no-such-method' },
      42,
    ]);
    expect(calls).toEqual(['stop a', 'start a']);
    expect(response).toEqual([
      { jsonrpc: '2.0', id: 1, result: { id: 'a', state: 'stopped' } },
      { jsonrpc: '2.0', id: 2, error: expect.objectContaining({ code: RpcErrorCode.MethodNotFound }) },
      { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: RpcErrorCode.InvalidRequest }) },
    ]);
  });

  it('sends nothing for a batch of notifications only', async () => {
    const response = await dispatcher().dispatch([{ jsonrpc: '2.0', method: 'returns-nothing' }]);
    expect(response).toBeUndefined();
  });

  it('refuses an empty batch and an oversized one', async () => {
    expect(await dispatcher().dispatch([])).toMatchObject({
      id: null,
      error: { code: RpcErrorCode.InvalidRequest },
    });
    const huge = Array.from({ length: 101 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'returns-nothing' }));
    expect(await dispatcher().dispatch(huge)).toMatchObject({
      error: { code: RpcErrorCode.InvalidRequest, message: expect.stringContaining('limit of 100') },
    });
  });

  it('answers bad JSON with a parse error', async () => {
    expect(await dispatcher().dispatchText('{"jsonrpc": "2.0", "method"')).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: RpcErrorCode.ParseError, message: expect.stringMatching(/^parse error: /) },
    });
  });

  it.each([
    ['a string', '"hello"', null, /request object/],
    ['a wrong version', { jsonrpc: '1.0', id: 3, method: 'returns-nothing' }, 3, /"2.0"/],
    ['a missing method', { jsonrpc: '2.0', id: 4 }, 4, /'method' must be a string/],
    ['an object id', { jsonrpc: '2.0', id: { x: 1 }, method: 'returns-nothing' }, null, /'id' must be/],
    ['scalar params', { jsonrpc: '2.0', id: 5, method: 'returns-nothing', params: 3 }, 5, /'params' must be/],
  ])('refuses %s as an invalid request', async (_what, request, id, message) => {
    const body = typeof request === 'string' ? request : JSON.stringify(request);
    expect(await dispatcher().dispatchText(body)).toMatchObject({
      id,
      error: { code: RpcErrorCode.InvalidRequest, message: expect.stringMatching(message) },
    });
  });

  it('suggests the nearest method name when a method is not found', async () => {
    const response = await dispatcher().dispatch({ jsonrpc: '2.0', id: 1, method: 'container.start' });
    expect(response).toMatchObject({
      error: {
        code: RpcErrorCode.MethodNotFound,
        message: `method not found: "container.start"; did you mean 'container-start'?`,
      },
    });
  });

  it('lists the methods when nothing is close', async () => {
    const response = await dispatcher().dispatch({ jsonrpc: '2.0', id: 1, method: 'launch-rockets' });
    expect(response).toMatchObject({
      error: { message: expect.stringContaining('the methods are: container-logs,') },
    });
  });

  it('does not treat inherited object properties as methods', async () => {
    for (const method of ['toString', '__proto__', 'constructor']) {
      const response = await dispatcher().dispatch({ jsonrpc: '2.0', id: 1, method });
      expect(response).toMatchObject({ error: { code: RpcErrorCode.MethodNotFound } });
    }
  });

  it('turns a ZodError into InvalidParams naming the param and what was expected', async () => {
    const response = await dispatcher().dispatch({
      jsonrpc: '2.0',
      id: 1,
      method: 'container-logs',
      params: { id: 'hello', tail: 11 },
    });
    expect(response).toMatchObject({
      error: {
        code: RpcErrorCode.InvalidParams,
        message: 'invalid params for container-logs: tail: expected at most 10 lines',
        data: { issues: [{ path: ['tail'], message: 'expected at most 10 lines' }] },
      },
    });
  });

  it('names unknown params', async () => {
    const response = await dispatcher().dispatch({
      jsonrpc: '2.0',
      id: 1,
      method: 'container-start',
      params: { id: 'hello', force: true },
    });
    expect(response).toMatchObject({
      error: {
        code: RpcErrorCode.InvalidParams,
        message: "invalid params for container-start: unknown param 'force'",
      },
    });
  });

  it('asks for by-name params when given an array', async () => {
    const response = await dispatcher().dispatch({
      jsonrpc: '2.0',
      id: 1,
      method: 'container-start',
      params: ['x'],
    });
    expect(response).toMatchObject({ error: { code: RpcErrorCode.InvalidParams, message: /by name/ } });
  });

  it("passes an ArchyError's code, message and data through", async () => {
    const response = await dispatcher().dispatch({
      jsonrpc: '2.0',
      id: 9,
      method: 'refuses-with-archy-error',
    });
    expect(response).toEqual({
      jsonrpc: '2.0',
      id: 9,
      error: {
        code: RpcErrorCode.Conflict,
        message: "app 'lnd' needs 'bitcoin-node'; install one first",
        data: { dependent: 'lnd', requested: 'bitcoin-node' },
      },
    });
  });

  it('hides an unexpected error behind a reference and logs it in full', async () => {
    const logger = recordingLogger();
    const response = await dispatcher(logger).dispatch({ jsonrpc: '2.0', id: 1, method: 'fails-with-a-bug' });
    expect(response).toMatchObject({
      error: {
        code: RpcErrorCode.InternalError,
        message: expect.stringMatching(
          /^internal error: fails-with-a-bug failed unexpectedly \(ref [0-9a-f]{8}\); see the daemon log$/,
        ),
      },
    });
    expect(JSON.stringify(response)).not.toContain('rpcpassword');
    expect(logger.errors).toHaveLength(1);
    const logged = logger.errors[0]!.details as { err: Error; ref: string };
    expect(logged.err.message).toContain('rpcpassword');
    expect(JSON.stringify(response)).toContain(logged.ref);
  });
});

describe('nearestName', () => {
  it('finds typos and separator mix-ups, and nothing for unrelated names', () => {
    const names = ['container-install', 'container-start', 'container-status', 'daemon-info'];
    expect(nearestName('container-instal', names)).toBe('container-install');
    expect(nearestName('container_status', names)).toBe('container-status');
    expect(nearestName('Daemon-Info', names)).toBe('daemon-info');
    expect(nearestName('reboot', names)).toBeUndefined();
  });

  it('computes edit distances', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
