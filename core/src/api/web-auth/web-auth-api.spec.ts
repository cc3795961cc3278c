import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditLog } from '../../security/audit/index.js';
import type { AuditRecord } from '../../security/audit/audit-entry.js';
import type { AppLifecycle } from '../../orchestrator/lifecycle.js';
import { rpcParamSchemas } from '../rpc-params.js';
import { createApiServer } from '../server.js';
import { setupCodeFilePath } from './setup-code.js';
import { WebAuth, WS_CSRF_PROTOCOL_PREFIX, type LoginThrottleOptions } from './index.js';

// The web login through createApiServer with Fastify's inject (no socket): the rules of issue 13
// part 6/7 — a cookie alone is never enough, sessions are bound to their Host, setup needs the
// code or the bearer token — and which X-Forwarded-* headers are believed.

const BEARER = 'c'.repeat(64);
const PASSWORD = 'Satoshi-Nakamoto-2009';
const HOST = '192.168.1.20:5959';

/** Every lifecycle call throws: nothing here may get as far as running a method. */
const unreachableLifecycle = new Proxy({} as AppLifecycle, {
  get(_target, property) {
    throw new Error(`the lifecycle was reached (${String(property)})`);
  },
});

let server: FastifyInstance | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

interface Harness {
  app: FastifyInstance;
  webAuth: WebAuth;
  dataDir: string;
  setupCode: string;
  audit: AuditRecord[];
}

async function start(
  options: { trustedProxies?: string[]; throttle?: Omit<LoginThrottleOptions, 'now'> } = {},
): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'archy-web-auth-api-'));
  dirs.push(dataDir);
  const webAuth = await WebAuth.open({
    dataDir,
    scrypt: { N: 2 ** 14, r: 8, p: 1 },
    throttle: options.throttle ?? { baseDelayMs: 1 },
  });
  const setupCode = (await webAuth.issueSetupCode())!;
  const audit: AuditRecord[] = [];
  // A recorder in the audit log's place: what is under test is which events the routes record.
  const recorder = { append: async (record: AuditRecord) => void audit.push(record) } as unknown as AuditLog;
  server = createApiServer({
    lifecycle: unreachableLifecycle,
    token: BEARER,
    logger: pino({ level: 'silent' }),
    info: () => {
      throw new Error('daemon-info must not run for a refused request');
    },
    webAuth,
    audit: recorder,
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
  });
  await server.ready();
  return { app: server, webAuth, dataDir, setupCode, audit };
}

function post(
  h: Harness,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  remoteAddress = '127.0.0.1',
): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: 'POST',
    url,
    remoteAddress,
    headers: { host: HOST, 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
}

function cookieOf(response: LightMyRequestResponse): string {
  const line = response.headers['set-cookie'];
  const first = Array.isArray(line) ? line[0] : line;
  if (!first) throw new Error(`no Set-Cookie (HTTP ${response.statusCode}: ${response.body})`);
  return first.split(';')[0]!;
}

async function setUp(h: Harness) {
  const answer = await post(h, '/auth/setup', { password: PASSWORD, setupCode: h.setupCode });
  expect(answer.statusCode, answer.body).toBe(200);
  return { cookie: cookieOf(answer), csrf: (answer.json() as { csrfToken: string }).csrfToken };
}

describe('first-run setup', () => {
  it('is refused without the code and with a wrong one, accepted with it, and the code works once', async () => {
    const h = await start();
    expect((await stat(setupCodeFilePath(h.dataDir))).mode & 0o777).toBe(0o600);

    const without = await post(h, '/auth/setup', { password: PASSWORD });
    expect(without.statusCode).toBe(403);
    expect(without.json().error).toMatch(/setup code.*archy web setup-code/);
    const wrong = await post(h, '/auth/setup', { password: PASSWORD, setupCode: 'AAAA-AAAA-AAAA-AAAA' });
    expect(wrong.statusCode).toBe(401);
    expect(h.webAuth.passwordSet).toBe(false);

    // Typed loosely: lower case, spaces instead of dashes.
    const typed = h.setupCode.toLowerCase().replace(/-/g, ' ');
    const ok = await post(h, '/auth/setup', { password: PASSWORD, setupCode: typed });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(h.webAuth.setupCode).toBeUndefined();
    await expect(stat(setupCodeFilePath(h.dataDir))).rejects.toMatchObject({ code: 'ENOENT' });

    const again = await post(h, '/auth/setup', { password: 'Another-password-1', setupCode: h.setupCode });
    expect(again.statusCode).toBe(409);
    expect(h.audit.map((entry) => [entry.action, entry.actor, entry.result.slice(0, 5)])).toEqual([
      ['auth.setup', 'web:anonymous', 'error'],
      ['auth.setup', 'web:anonymous', 'error'],
      ['auth.setup', 'web:admin', 'ok'],
      ['auth.setup', 'web:anonymous', 'error'],
    ]);
  });

  it('accepts the bearer token in place of the code', async () => {
    const h = await start();
    const refused = await post(
      h,
      '/auth/setup',
      { password: PASSWORD },
      { authorization: `Bearer ${BEARER}x` },
    );
    expect(refused.statusCode).toBe(403);
    const ok = await post(h, '/auth/setup', { password: PASSWORD }, { authorization: `Bearer ${BEARER}` });
    expect(ok.statusCode).toBe(200);
    expect(h.audit.at(-1)).toMatchObject({ action: 'auth.setup', params: { via: 'bearer' }, result: 'ok' });
  });

  it('keeps the code across restarts until a password is set, then removes it', async () => {
    const h = await start();
    const reopened = await WebAuth.open({ dataDir: h.dataDir });
    expect(await reopened.issueSetupCode()).toBe(h.setupCode);
    await setUp(h);
    const afterSetup = await WebAuth.open({ dataDir: h.dataDir });
    expect(await afterSetup.issueSetupCode()).toBeUndefined();
  });
});

describe('a session cookie alone', () => {
  it('never gets the CSRF token from /auth/status, and status says "not authenticated" without it', async () => {
    const h = await start();
    const { cookie, csrf } = await setUp(h);
    const status = (headers: Record<string, string>) =>
      h.app.inject({ method: 'GET', url: '/auth/status', headers: { host: HOST, ...headers } });
    const cookieOnly = await status({ cookie });
    expect(cookieOnly.json()).toEqual({ passwordSet: true, authenticated: false });
    expect(cookieOnly.body).not.toContain(csrf);
    expect((await status({ cookie, 'x-csrf-token': csrf })).json()).toEqual({
      passwordSet: true,
      authenticated: true,
    });
  });

  it('is refused for every RPC method, for /ws, for logout and for a password change', async () => {
    const h = await start();
    const { cookie, csrf } = await setUp(h);
    for (const method of Object.keys(rpcParamSchemas)) {
      const answer = await post(h, '/rpc/v1', { jsonrpc: '2.0', id: 1, method, params: {} }, { cookie });
      expect(answer.statusCode, method).toBe(403);
      expect(answer.json().error.message, method).toMatch(/cookie alone is not enough/);
    }
    // Forged browser headers change nothing: the token is what counts.
    const forged = await post(
      h,
      '/rpc/v1',
      { jsonrpc: '2.0', id: 1, method: 'daemon-info' },
      { cookie, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' },
    );
    expect(forged.statusCode).toBe(403);
    expect((await post(h, '/auth/logout', {}, { cookie })).statusCode).toBe(403);
    expect(
      (await post(h, '/auth/password', { current: PASSWORD, next: `${PASSWORD}!` }, { cookie })).statusCode,
    ).toBe(403);

    const ws = (protocols?: string) =>
      h.webAuth.checkApiRequest({
        secure: false,
        viaOnion: false,
        headers: {
          host: HOST,
          cookie,
          origin: `http://${HOST}`,
          upgrade: 'websocket',
          ...(protocols ? { 'sec-websocket-protocol': protocols } : {}),
        },
      });
    expect(ws()).toMatchObject({ ok: false, statusCode: 403 });
    expect(ws(`archy, ${WS_CSRF_PROTOCOL_PREFIX}${csrf}x`)).toMatchObject({ ok: false, statusCode: 403 });
    expect(ws(`archy, ${WS_CSRF_PROTOCOL_PREFIX}${csrf}`)).toEqual({ ok: true });
  });

  it('works only with its token, under the Host it was created on', async () => {
    const h = await start();
    const { cookie, csrf } = await setUp(h);
    const info = { jsonrpc: '2.0', id: 1, method: 'web.setup-code' };
    // With the token the session gets in — but not to the bearer-only methods.
    const bearerOnly = await post(h, '/rpc/v1', info, { cookie, 'x-csrf-token': csrf });
    expect(bearerOnly.statusCode).toBe(200);
    expect(bearerOnly.json().error.message).toMatch(/takes the CLI's bearer token/);
    const setPassword = await post(
      h,
      '/rpc/v1',
      { jsonrpc: '2.0', id: 2, method: 'web.set-password', params: { password: 'Taken-over-password-1' } },
      { cookie, 'x-csrf-token': csrf },
    );
    expect(setPassword.json().error.message).toMatch(/bearer token/);

    const otherHost = await post(h, '/rpc/v1', info, { cookie, 'x-csrf-token': csrf, host: '10.0.0.2:5959' });
    expect(otherHost.statusCode).toBe(403);
    expect(otherHost.json().error.message).toMatch(/another address of the node/);
    const otherPort = await h.app.inject({
      method: 'GET',
      url: '/auth/status',
      headers: { host: '192.168.1.20:18080', cookie, 'x-csrf-token': csrf },
    });
    expect(otherPort.json()).toEqual({ passwordSet: true, authenticated: false });
  });
});

describe('archy web password (web.set-password with the bearer token)', () => {
  it('refuses a weak password, sets a good one, ends every session and uses up the setup code', async () => {
    const h = await start();
    const bearer = { authorization: `Bearer ${BEARER}` };
    const weak = await post(
      h,
      '/rpc/v1',
      { jsonrpc: '2.0', id: 1, method: 'web.set-password', params: { password: 'short' } },
      bearer,
    );
    expect(weak.json().error.message).toMatch(/too short.*at least 12 characters/);
    const code = await post(h, '/rpc/v1', { jsonrpc: '2.0', id: 2, method: 'web.setup-code' }, bearer);
    expect(code.json().result).toMatchObject({ passwordSet: false, setupCode: h.setupCode });

    const { cookie, csrf } = await setUp(h);
    const set = await post(
      h,
      '/rpc/v1',
      { jsonrpc: '2.0', id: 3, method: 'web.set-password', params: { password: 'Reset-from-the-CLI-2026' } },
      bearer,
    );
    expect(set.json().result).toEqual({ sessionsEnded: 1 });
    const recorded = h.audit.filter((entry) => entry.action === 'web.set-password');
    expect(recorded.map((entry) => entry.result)).toEqual([
      'error: the password is too short (5 characters): use at least 12 characters, mixing at least two kinds (lower case, upper case, digits, symbols) unless it is 16 or longer',
      'ok',
    ]);
    expect(JSON.stringify(recorded)).not.toContain('Reset-from-the-CLI-2026');
    const after = await post(
      h,
      '/rpc/v1',
      { jsonrpc: '2.0', id: 4, method: 'daemon-info' },
      { cookie, 'x-csrf-token': csrf },
    );
    expect(after.statusCode).toBe(401);
    expect((await post(h, '/auth/login', { password: 'Reset-from-the-CLI-2026' })).statusCode).toBe(200);
    const codeAfter = await post(h, '/rpc/v1', { jsonrpc: '2.0', id: 5, method: 'web.setup-code' }, bearer);
    expect(codeAfter.json().result).toMatchObject({ passwordSet: true, setupCode: null });
  });
});

describe('login events in the audit log', () => {
  it('records a failed login, a logout and a password change, but not throttle refusals', async () => {
    const h = await start({ throttle: { baseDelayMs: 1, maxFailuresPerClient: 1 } });
    const { cookie, csrf } = await setUp(h);
    expect((await post(h, '/auth/login', { password: 'Wrong-password-1' })).statusCode).toBe(401);
    expect((await post(h, '/auth/login', { password: 'Wrong-password-2' })).statusCode).toBe(429);
    const change = await post(
      h,
      '/auth/password',
      { current: 'Wrong-current-password', next: 'A-new-password-2026' },
      { cookie, 'x-csrf-token': csrf },
      '127.0.0.2',
    );
    expect(change.statusCode).toBe(401);
    expect((await post(h, '/auth/logout', {}, { cookie, 'x-csrf-token': csrf })).statusCode).toBe(200);
    expect(h.audit.map((entry) => [entry.action, entry.actor, entry.result])).toEqual([
      ['auth.setup', 'web:admin', 'ok'],
      ['auth.login', 'web:anonymous', 'error: wrong password'],
      ['auth.password', 'web:admin', 'error: the current password is wrong'],
      ['auth.logout', 'web:admin', 'ok'],
    ]);
    expect(h.audit[1]!.params).toEqual({ client: '127.0.0.1' });
  });
});

describe('behind a reverse proxy', () => {
  it('ignores X-Forwarded-Proto and -For from a peer not named as a trusted proxy', async () => {
    const h = await start({ throttle: { baseDelayMs: 1, maxFailuresPerClient: 1 } });
    const answer = await post(
      h,
      '/auth/setup',
      { password: PASSWORD, setupCode: h.setupCode },
      { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
    );
    expect(String(answer.headers['set-cookie'])).toMatch(
      /^archy_session=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/,
    );
    // One failure locks the peer out, whatever address it claims to forward for.
    const login = (forwardedFor: string) =>
      post(h, '/auth/login', { password: 'Wrong-password-1' }, { 'x-forwarded-for': forwardedFor });
    expect((await login('203.0.113.1')).statusCode).toBe(401);
    expect((await login('203.0.113.2')).statusCode).toBe(429);
  });

  it('believes a named proxy: __Host- and Secure under https, and the throttle counts the real client', async () => {
    const h = await start({
      trustedProxies: ['127.0.0.1'],
      throttle: { baseDelayMs: 1, maxFailuresPerClient: 1 },
    });
    const answer = await post(
      h,
      '/auth/setup',
      { password: PASSWORD, setupCode: h.setupCode },
      { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
    );
    expect(String(answer.headers['set-cookie'])).toMatch(
      /^__Host-archy_session=[^;]+; .*Path=\/; .*; Secure$/,
    );
    const cookie = cookieOf(answer);
    const csrf = (answer.json() as { csrfToken: string }).csrfToken;
    const call = (headers: Record<string, string>) =>
      post(
        h,
        '/rpc/v1',
        { jsonrpc: '2.0', id: 1, method: 'web.setup-code' },
        { cookie, 'x-csrf-token': csrf, ...headers },
      );
    expect((await call({ 'x-forwarded-proto': 'https' })).statusCode).toBe(200);
    // The __Host- cookie means nothing on plain http (there the cookie is archy_session).
    expect((await call({})).statusCode).toBe(401);

    const login = (forwardedFor: string) =>
      post(h, '/auth/login', { password: 'Wrong-password-1' }, { 'x-forwarded-for': forwardedFor });
    expect((await login('203.0.113.1')).statusCode).toBe(401);
    expect((await login('203.0.113.2')).statusCode).toBe(401);
    expect((await login('203.0.113.1')).statusCode).toBe(429);
    expect(h.audit.find((entry) => entry.action === 'auth.login')?.params).toEqual({ client: '203.0.113.1' });
    // From another peer the same headers are not believed.
    const untrusted = await post(
      h,
      '/auth/login',
      { password: 'Wrong-password-1' },
      { 'x-forwarded-for': '203.0.113.3' },
      '10.9.9.9',
    );
    expect(untrusted.statusCode).toBe(401);
    expect(h.audit.at(-1)?.params).toEqual({ client: '10.9.9.9' });
  });
});
