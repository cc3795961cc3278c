import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppLifecycle } from '../orchestrator/lifecycle.js';
import { listenOnOnionSocket, type OnionListener } from './onion-listener.js';
import { createApiServer } from './server.js';
import { WebAuth } from './web-auth/index.js';

// The onion listener through a real unix socket (what the node's Tor connects to), beside the
// same app reached as the LAN would (Fastify's inject from 127.0.0.1): the login throttle keeps
// Tor users in one bucket that no LAN or loopback client shares, the Host rules differ per
// listener, and the cookie is never Secure over Tor.

const BEARER = 'b'.repeat(64);
const PASSWORD = 'Satoshi-Nakamoto-2009';
const ONION = `${'a'.repeat(56)}.onion`;
const LAN_HOST = '127.0.0.1:5959';

const lifecycle = {
  list: async () => [],
} as unknown as AppLifecycle;

let server: FastifyInstance | undefined;
let listener: OnionListener | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await listener?.close();
  listener = undefined;
  await server?.close();
  server = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

async function start(trustedProxies: string[] = []) {
  const dataDir = await mkdtemp(join(tmpdir(), 'archy-onion-listener-'));
  dirs.push(dataDir);
  const webAuth = await WebAuth.open({
    dataDir,
    scrypt: { N: 2 ** 14, r: 8, p: 1 },
    throttle: { baseDelayMs: 1, maxFailuresPerClient: 3 },
    onionHostname: () => ONION,
  });
  await webAuth.setPassword(PASSWORD);
  server = createApiServer({
    lifecycle,
    token: BEARER,
    logger: pino({ level: 'silent' }),
    info: { version: 'test' } as never,
    webAuth,
    trustedProxies,
  });
  server.get('/', async () => 'the UI');
  await server.ready();
  const socketPath = join(dataDir, 'tor', 'run', 'ui.sock');
  listener = await listenOnOnionSocket(server, socketPath);
  return { app: server, socketPath };
}

/** One HTTP request over the unix socket, as Tor forwards it. */
function overOnion(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      {
        socketPath,
        method,
        path,
        headers: {
          host: ONION,
          ...(payload !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function overLan(
  app: FastifyInstance,
  url: string,
  body: unknown,
  host = LAN_HOST,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    remoteAddress: '127.0.0.1',
    headers: { host, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

describe('the onion listener', () => {
  it('serves the same app: the UI, the API with the bearer token, the login', async () => {
    const { socketPath } = await start();
    expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
    expect(await overOnion(socketPath, 'GET', '/')).toMatchObject({ status: 200, body: 'the UI' });
    const rpc = await overOnion(
      socketPath,
      'POST',
      '/rpc/v1',
      { authorization: `Bearer ${BEARER}` },
      { jsonrpc: '2.0', id: 1, method: 'container-list' },
    );
    expect(rpc.status).toBe(200);
    expect(JSON.parse(rpc.body)).toEqual({ jsonrpc: '2.0', id: 1, result: [] });
    const unauthenticated = await overOnion(
      socketPath,
      'POST',
      '/rpc/v1',
      {},
      { jsonrpc: '2.0', id: 1, method: 'container-list' },
    );
    expect(unauthenticated.status).toBe(401);
    const login = await overOnion(socketPath, 'POST', '/auth/login', {}, { password: PASSWORD });
    expect(login.status, login.body).toBe(200);
  });

  it('throttles Tor as one client while a login from 127.0.0.1 still works', async () => {
    const { app, socketPath } = await start();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await overOnion(socketPath, 'POST', '/auth/login', {}, { password: 'Wrong-password-1' })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // The owner over Tor is held back too (that is the price of one bucket)...
    const owner = await overOnion(socketPath, 'POST', '/auth/login', {}, { password: PASSWORD });
    expect(owner.status).toBe(429);
    expect(owner.headers['retry-after']).toBeDefined();
    // ...but the LAN and the node itself are not.
    const lan = await overLan(app, '/auth/login', { password: PASSWORD });
    expect(lan.statusCode, lan.body).toBe(200);
  });

  it('LAN failures do not fill the onion bucket', async () => {
    const { app, socketPath } = await start();
    for (let i = 0; i < 3; i++) await overLan(app, '/auth/login', { password: 'Wrong-password-1' });
    expect((await overLan(app, '/auth/login', { password: PASSWORD })).statusCode).toBe(429);
    expect((await overOnion(socketPath, 'POST', '/auth/login', {}, { password: PASSWORD })).status).toBe(200);
  });

  it("answers only under the node's onion name, which the LAN listener refuses", async () => {
    const { app, socketPath } = await start();
    expect((await overOnion(socketPath, 'GET', '/auth/status')).status).toBe(200);
    expect((await overOnion(socketPath, 'GET', '/auth/status', { host: ONION.toUpperCase() })).status).toBe(
      200,
    );
    for (const host of [`${'b'.repeat(56)}.onion`, LAN_HOST, 'localhost', `${ONION}:8080`]) {
      const answer = await overOnion(socketPath, 'GET', '/auth/status', { host });
      expect(answer.status, host).toBe(403);
      expect(answer.body).toMatch(/onion address/);
    }
    expect((await overLan(app, '/auth/login', { password: PASSWORD }, ONION)).statusCode).toBe(403);
    // Another .onion name on the LAN listener is as before (a user's own Tor forwarding to it).
    expect(
      (await overLan(app, '/auth/login', { password: PASSWORD }, `${'c'.repeat(56)}.onion`)).statusCode,
    ).toBe(200);
  });

  it('sets the cookie without Secure over Tor, even with a forwarded https from a trusted proxy', async () => {
    const { socketPath } = await start(['127.0.0.1']);
    const login = await overOnion(
      socketPath,
      'POST',
      '/auth/login',
      { 'x-forwarded-proto': 'https' },
      { password: PASSWORD },
    );
    expect(login.status).toBe(200);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^archy_session=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    // The session works over Tor with its CSRF token.
    const csrf = (JSON.parse(login.body) as { csrfToken: string }).csrfToken;
    const call = await overOnion(
      socketPath,
      'POST',
      '/rpc/v1',
      { cookie: cookie.split(';')[0]!, 'x-csrf-token': csrf, origin: `http://${ONION}` },
      { jsonrpc: '2.0', id: 1, method: 'container-list' },
    );
    expect(call.status, call.body).toBe(200);
  });

  it('refuses the first-run setup over Tor', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'archy-onion-listener-'));
    dirs.push(dataDir);
    const webAuth = await WebAuth.open({ dataDir, onionHostname: () => ONION });
    const setupCode = (await webAuth.issueSetupCode())!;
    server = createApiServer({
      lifecycle,
      token: BEARER,
      logger: pino({ level: 'silent' }),
      info: {} as never,
      webAuth,
    });
    await server.ready();
    listener = await listenOnOnionSocket(server, join(dataDir, 'ui.sock'));
    const answer = await overOnion(
      listener.path,
      'POST',
      '/auth/setup',
      {},
      { password: PASSWORD, setupCode },
    );
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(/not over Tor/);
  });

  it('removes the socket file when closed', async () => {
    const { socketPath } = await start();
    await listener!.close();
    listener = undefined;
    await expect(stat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
