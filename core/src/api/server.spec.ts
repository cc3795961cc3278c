import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RpcErrorCode, type AppStatus, type DaemonEvents } from './contract.js';
import type { AppLifecycle } from '../orchestrator/lifecycle.js';
import { TypedEventBus } from '../util/event-bus.js';
import { UNAUTHORIZED_MESSAGE } from './auth.js';
import { listen } from './listen-address.js';
import { request } from '../util/http-client.js';
import { createApiServer } from './server.js';
import type { DaemonInfo } from './rpc-methods.js';

const TOKEN = 'f'.repeat(64);
const INFO: DaemonInfo = {
  version: '0.0.0-test',
  dataDir: '/nonexistent',
  podman: { version: '0.0.0', rootless: true },
  startedAt: '2026-01-01T00:00:00.000Z',
  confinement: { apparmor: false, selinux: false, applied: 'no AppArmor; no SELinux', notes: [] },
  unsignedRegistries: [],
};

/**
 * An AppLifecycle that must never be reached: any use throws. The auth tests pass it to prove a
 * request is refused before any method runs.
 */
const lifecycleThatMustNotBeReached = new Proxy({} as AppLifecycle, {
  get(_target, property) {
    throw new Error(
      `the lifecycle was reached (${String(property)}) though the request should have been refused`,
    );
  },
});

/** Counts live listeners, so a test can see that a closed socket left none behind. */
class ListenerCountingEventBus extends TypedEventBus<DaemonEvents> {
  live = 0;
  override on<E extends keyof DaemonEvents & string>(event: E, listener: (payload: DaemonEvents[E]) => void) {
    const off = super.on(event, listener);
    this.live++;
    return () => {
      this.live--;
      off();
    };
  }
}

/** A lifecycle with a real event bus and nothing else: every method throws. For the /ws push tests. */
function lifecycleWithOnlyEvents(events: TypedEventBus<DaemonEvents>): AppLifecycle {
  const notHere = () => {
    throw new Error('not part of this test');
  };
  return {
    events,
    install: notHere,
    start: notHere,
    stop: notHere,
    restart: notHere,
    remove: notHere,
    status: notHere,
    list: notHere,
    logs: notHere,
    health: notHere,
    sbom: notHere,
  };
}

let server: FastifyInstance | undefined;
let logText = '';

async function startServer(lifecycle: AppLifecycle): Promise<string> {
  logText = '';
  const logSink = new Writable({
    write(chunk, _encoding, done) {
      logText += String(chunk);
      done();
    },
  });
  server = createApiServer({
    lifecycle,
    token: TOKEN,
    info: INFO,
    logger: pino({ level: 'debug' }, logSink),
  });
  return listen(server, '127.0.0.1:0');
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await request(`${url}/rpc/v1`, { method: 'POST', body, headers });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    text,
    json: text ? JSON.parse(text) : undefined,
  };
}

const infoCall = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'daemon-info' });
const startCall = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'container-start',
  params: { id: 'hello' },
});

describe('POST /rpc/v1 auth', () => {
  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: `Bearer ${'0'.repeat(64)}` }],
    ['a truncated token', { authorization: `Bearer ${TOKEN.slice(0, 32)}` }],
    ['the token as Basic auth', { authorization: `Basic ${TOKEN}` }],
    ['the token in a cookie', { cookie: `token=${TOKEN}` }],
  ])('refuses %s with 401 before any method runs', async (_what, authHeaders) => {
    const url = await startServer(lifecycleThatMustNotBeReached);
    const response = await post(url, startCall, { 'content-type': 'application/json', ...authHeaders });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="archipelago"');
    expect(response.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: RpcErrorCode.Unauthorized, message: UNAUTHORIZED_MESSAGE },
    });
  });

  it('refuses before reading the body: no auth and bad content type is still 401', async () => {
    const url = await startServer(lifecycleThatMustNotBeReached);
    const response = await post(url, 'x'.repeat(2 * 1024 * 1024), { 'content-type': 'text/plain' });
    expect(response.status).toBe(401);
  });

  it('answers with the right token', async () => {
    const url = await startServer(lifecycleThatMustNotBeReached);
    const response = await post(url, infoCall, {
      'content-type': 'application/json; charset=utf-8',
      authorization: `Bearer ${TOKEN}`,
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ jsonrpc: '2.0', id: 1, result: INFO });
  });

  it('never writes a token to the log', async () => {
    const url = await startServer(lifecycleThatMustNotBeReached);
    await post(url, infoCall, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` });
    await post(url, infoCall, {
      'content-type': 'application/json',
      authorization: `Bearer ${'0'.repeat(64)}`,
    });
    expect(logText).not.toContain(TOKEN);
    expect(logText).not.toContain('0'.repeat(64));
  });
});

describe('POST /rpc/v1 request handling', () => {
  const authorized = { authorization: `Bearer ${TOKEN}` };

  it('accepts only application/json', async () => {
    const url = await startServer(lifecycleThatMustNotBeReached);
    const response = await post(url, infoCall, { ...authorized, 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
    expect(response.json.error).toMatchObject({
      code: RpcErrorCode.InvalidRequest,
      message: /application\/json/,
    });
  });

  it('refuses a body over 1 MiB', async () => {
    const url = await startServer(lifecycleThatMustNotBeReached);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'manifest-lint',
      params: { manifest: 'x'.repeat(1 << 20) },
    });
    const response = await post(url, body, { ...authorized, 'content-type': 'application/json' });
    expect(response.status).toBe(413);
    expect(response.json.error).toMatchObject({
      code: RpcErrorCode.InvalidRequest,
      message: /over the limit/,
    });
  });

  it('answers bad JSON with -32700 and a notification with 204', async () => {
    const url = await startServer(lifecycleThatMustNotBeReached);
    const bad = await post(url, '{"jsonrpc":', { ...authorized, 'content-type': 'application/json' });
    expect(bad.status).toBe(200);
    expect(bad.json.error.code).toBe(RpcErrorCode.ParseError);
    const notification = await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'daemon-info' }), {
      ...authorized,
      'content-type': 'application/json',
    });
    expect(notification.status).toBe(204);
    expect(notification.text).toBe('');
  });
});

/** Opens /ws and reports the HTTP status of a refused upgrade, or the open socket. */
function connectWs(url: string, options: { path?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; socket?: WebSocket }>((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}${options.path ?? '/ws'}`, {
      headers: options.headers ?? {},
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      response.resume();
      socket.terminate();
    });
    socket.once('open', () => resolve({ status: 101, socket }));
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

function nextMessage(socket: WebSocket): Promise<unknown> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
}

describe('GET /ws', () => {
  it.each([
    ['no token', {}],
    ['a wrong token', { headers: { authorization: 'Bearer nope' } }],
    ['the token in the query string', { path: `/ws?token=${TOKEN}` }],
    ['the token as Basic auth', { headers: { authorization: `Basic ${TOKEN}` } }],
  ])('refuses the upgrade with 401 for %s', async (_what, options) => {
    const url = await startServer(lifecycleThatMustNotBeReached);
    expect((await connectWs(url, options)).status).toBe(401);
  });

  it('pushes daemon events to an authorized client and removes its listeners on close', async () => {
    const events = new ListenerCountingEventBus();
    const url = await startServer(lifecycleWithOnlyEvents(events));
    const { status, socket } = await connectWs(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(status).toBe(101);
    expect(events.live).toBe(6); // app-state, app-removed, pull-progress, image-progress, backup.progress, backup.finished

    const received = nextMessage(socket!);
    events.emit('app-removed', { id: 'hello' });
    expect(await received).toEqual({ event: 'app-removed', data: { id: 'hello' } });

    const progress = nextMessage(socket!);
    const pull = { id: 'hello', image: 'x', completedBytes: 1, totalBytes: 2, layersDone: 0, layersTotal: 1 };
    events.emit('pull-progress', pull);
    expect(await progress).toEqual({ event: 'pull-progress', data: pull });

    const closed = new Promise((resolve) => socket!.once('close', resolve));
    socket!.close();
    await closed;
    await expect.poll(() => events.live).toBe(0);
  });

  it('answers a malformed client message with an error naming the field', async () => {
    const url = await startServer(lifecycleWithOnlyEvents(new ListenerCountingEventBus()));
    const { socket } = await connectWs(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    const reply = nextMessage(socket!);
    socket!.send(JSON.stringify({ subscribe: 'logs', id: 'Not An Id' }));
    expect(await reply).toEqual({
      error: {
        code: RpcErrorCode.InvalidParams,
        message: expect.stringMatching(/^invalid message: id: expected an app id/),
      },
    });
    const another = nextMessage(socket!);
    socket!.send(JSON.stringify({ hello: 'there' }));
    expect(await another).toMatchObject({
      error: { message: expect.stringContaining("{subscribe:'logs', id, tail?}") },
    });
    socket!.close();
  });

  it('does not forward app-state updates to a socket after it closed', async () => {
    const events = new ListenerCountingEventBus();
    const url = await startServer(lifecycleWithOnlyEvents(events));
    const { socket } = await connectWs(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    socket!.terminate();
    await expect.poll(() => events.live).toBe(0);
    events.emit('app-state', { id: 'hello' } as AppStatus); // no listener left to throw on a dead socket
  });
});

describe('createApiServer', () => {
  it('can be awaited (which readies it) and then listened on, as the daemon does', async () => {
    server = await createApiServer({
      lifecycle: lifecycleThatMustNotBeReached,
      token: TOKEN,
      info: () => INFO,
      logger: pino({ level: 'silent' }),
    });
    const url = await listen(server, '127.0.0.1:0');
    const response = await post(url, infoCall, {
      'content-type': 'application/json',
      authorization: `Bearer ${TOKEN}`,
    });
    expect(response.json.result).toEqual(INFO);
  });
});
