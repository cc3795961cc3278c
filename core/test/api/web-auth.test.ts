import { readFile, stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DaemonEvents, WebAuthSession, WebAuthStatus } from '../../src/api/contract.js';
import { createApiServer } from '../../src/api/server.js';
import { listen } from '../../src/api/listen-address.js';
import { WebAuth, webAuthFilePath, type LoginThrottleOptions } from '../../src/api/web-auth/index.js';
import type { AppLifecycle } from '../../src/orchestrator/lifecycle.js';
import { TypedEventBus } from '../../src/util/event-bus.js';
import { request } from '../../src/util/http-client.js';
import { tempDataDir } from '../support/index.js';

// The web login over real HTTP against createApiServer on 127.0.0.1:0. No Podman: the lifecycle
// has an event bus (for /ws) and every method throws — the point here is who gets in.

const BEARER = 'b'.repeat(64);
const PASSWORD = 'Satoshi-Nakamoto-2009';
const NEW_PASSWORD = 'a much longer passphrase now';
const HOUR = 60 * 60 * 1000;

function lifecycleWithOnlyEvents(): AppLifecycle {
  const notHere = () => {
    throw new Error('the lifecycle is not part of the web-auth tests');
  };
  return {
    events: new TypedEventBus<DaemonEvents>(),
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

interface TestServer {
  url: string;
  host: string;
  dataDir: string;
  /** The first-run setup code the daemon would print. */
  setupCode: string;
  advanceClock(ms: number): void;
  log(): string;
}

let server: FastifyInstance | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function startServer(
  options: { throttle?: Omit<LoginThrottleOptions, 'now'> } = {},
): Promise<TestServer> {
  let logText = '';
  const logSink = new Writable({
    write(chunk, _encoding, done) {
      logText += String(chunk);
      done();
    },
  });
  let now = Date.parse('2026-03-01T00:00:00Z');
  const dataDir = tempDataDir('web-auth');
  const webAuth = await WebAuth.open({
    dataDir,
    now: () => now,
    // The lowest cost the record schema accepts: the tests hash many times; the defaults are
    // covered by the unit spec.
    scrypt: { N: 2 ** 14, r: 8, p: 1 },
    throttle: options.throttle ?? { baseDelayMs: 10 },
  });
  const setupCode = (await webAuth.issueSetupCode())!;
  server = createApiServer({
    lifecycle: lifecycleWithOnlyEvents(),
    token: BEARER,
    logger: pino({ level: 'trace' }, logSink),
    info: () => ({
      version: '0.0.0-test',
      dataDir,
      podman: { version: '0.0.0', rootless: true },
      startedAt: '2026-01-01T00:00:00.000Z',
      confinement: { apparmor: false, selinux: false, applied: 'no AppArmor; no SELinux', notes: [] },
      unsignedRegistries: [],
    }),
    webAuth,
  });
  const url = await listen(server, '127.0.0.1:0');
  return {
    url,
    host: new URL(url).host,
    dataDir,
    setupCode,
    advanceClock: (ms) => (now += ms),
    log: () => logText,
  };
}

interface Answer<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: T;
  ms: number;
}

async function call<T = Record<string, unknown>>(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const started = performance.now();
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await request(`${url}${path}`, {
    method,
    ...(body === undefined ? {} : { body }),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    json: (text ? JSON.parse(text) : undefined) as T,
    ms: performance.now() - started,
  };
}

/** The `name=value` part of the session Set-Cookie, to send back as a Cookie header. */
function cookieFrom(answer: Answer): string {
  const setCookie = answer.headers['set-cookie'];
  const line = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (!line) throw new Error(`no Set-Cookie in the answer (status ${answer.status})`);
  return line.split(';')[0]!;
}

async function setUp(s: TestServer, password = PASSWORD) {
  const answer = await call<WebAuthSession>(s.url, 'POST', '/auth/setup', {
    body: { password, setupCode: s.setupCode },
  });
  expect(answer.status).toBe(200);
  return { cookie: cookieFrom(answer), csrf: answer.json.csrfToken };
}

async function logIn(s: TestServer, password = PASSWORD) {
  const answer = await call<WebAuthSession>(s.url, 'POST', '/auth/login', { body: { password } });
  expect(answer.status).toBe(200);
  return { cookie: cookieFrom(answer), csrf: answer.json.csrfToken };
}

const infoCall = { jsonrpc: '2.0', id: 1, method: 'daemon-info' };

function rpc(s: TestServer, headers: Record<string, string>) {
  return call<{ result?: { version: string }; error?: { message: string } }>(s.url, 'POST', '/rpc/v1', {
    body: infoCall,
    headers,
  });
}

describe('first-run setup', () => {
  it('sets the password once, logs the caller in, then refuses a second setup with 409', async () => {
    const s = await startServer();
    const before = await call<WebAuthStatus>(s.url, 'GET', '/auth/status');
    expect(before.json).toEqual({ passwordSet: false, authenticated: false });
    const notYet = await call(s.url, 'POST', '/auth/login', { body: { password: PASSWORD } });
    expect(notYet.status).toBe(409);
    expect(notYet.json.error).toMatch(/POST \/auth\/setup/);

    const { cookie, csrf } = await setUp(s);
    // The cookie alone does not make a request authenticated, and never gets the CSRF token.
    const cookieOnly = await call<WebAuthStatus>(s.url, 'GET', '/auth/status', { headers: { cookie } });
    expect(cookieOnly.json).toEqual({ passwordSet: true, authenticated: false });
    const after = await call<WebAuthStatus>(s.url, 'GET', '/auth/status', {
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(after.json).toEqual({ passwordSet: true, authenticated: true });
    expect(after.headers['cache-control']).toBe('no-store');
    const crossSiteStatus = await call(s.url, 'GET', '/auth/status', {
      headers: { cookie, 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSiteStatus.status).toBe(403);
    expect(JSON.stringify(crossSiteStatus.json)).not.toContain(csrf);

    const again = await call(s.url, 'POST', '/auth/setup', {
      body: { password: 'Another-password-1', setupCode: s.setupCode },
    });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatch(/already set/);
    expect(
      (await call(s.url, 'POST', '/auth/login', { body: { password: 'Another-password-1' } })).status,
    ).toBe(401);
  });

  it.each([
    ['too short', 'Sh0rt!', /too short/],
    ['one kind of character under 16', 'abcdefghijklm', /only one kind/],
  ])('refuses a weak password (%s) and says the rule', async (_what, password, reason) => {
    const s = await startServer();
    const answer = await call(s.url, 'POST', '/auth/setup', { body: { password } });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(reason);
    expect(answer.json.error).toMatch(/at least 12 characters/);
    expect((await call<WebAuthStatus>(s.url, 'GET', '/auth/status')).json.passwordSet).toBe(false);
  });

  it('writes web-auth.json with mode 0600, holding the scrypt record and no plaintext', async () => {
    const s = await startServer();
    await setUp(s);
    const path = webAuthFilePath(s.dataDir);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    expect(Object.keys(JSON.parse(text)).sort()).toEqual([
      'N',
      'algo',
      'hash',
      'p',
      'r',
      'salt',
      'schemaVersion',
    ]);
    expect(JSON.parse(text)).toMatchObject({ algo: 'scrypt', N: 2 ** 14, r: 8, p: 1 });
  });

  it('refuses setup under a host name a website could have re-pointed here (DNS rebinding)', async () => {
    const s = await startServer();
    const port = new URL(s.url).port;
    const answer = await call(s.url, 'POST', '/auth/setup', {
      body: { password: PASSWORD, setupCode: s.setupCode },
      headers: { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` },
    });
    expect(answer.status).toBe(403);
    expect(answer.json.error).toMatch(/answers only under the node's IP address, localhost/);
    expect((await call<WebAuthStatus>(s.url, 'GET', '/auth/status')).json.passwordSet).toBe(false);
  });

  it('refuses a cross-site setup or login and a non-JSON body', async () => {
    const s = await startServer();
    const crossSite = await call(s.url, 'POST', '/auth/setup', {
      body: { password: PASSWORD, setupCode: s.setupCode },
      headers: { origin: 'http://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const form = await call(s.url, 'POST', '/auth/setup', {
      rawBody: `password=${PASSWORD}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect((await call<WebAuthStatus>(s.url, 'GET', '/auth/status')).json.passwordSet).toBe(false);
  });
});

describe('login and sessions', () => {
  it('refuses a wrong password and sets a HttpOnly, SameSite=Strict session cookie on the right one', async () => {
    const s = await startServer();
    await setUp(s);
    const wrong = await call(s.url, 'POST', '/auth/login', { body: { password: 'Not-the-password-1' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toBe('wrong password');
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const right = await call<WebAuthSession>(s.url, 'POST', '/auth/login', { body: { password: PASSWORD } });
    expect(right.status).toBe(200);
    expect(right.json.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const setCookie = String(right.headers['set-cookie']);
    expect(setCookie).toMatch(/^archy_session=[A-Za-z0-9_-]{43}; /);
    const attributes = setCookie.split('; ').slice(1);
    expect(attributes).toEqual(['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=43200']);
    // Plain HTTP here: a Secure cookie would not come back.
    expect(setCookie).not.toMatch(/Secure/);
  });

  it('lets a session call /rpc/v1 only with its CSRF token and from its own origin', async () => {
    const s = await startServer();
    const { cookie, csrf } = await setUp(s);
    const sameOrigin = `http://${s.host}`;

    const withoutCsrf = await rpc(s, { cookie });
    expect(withoutCsrf.status).toBe(403);
    expect(withoutCsrf.json.error?.message).toMatch(/x-csrf-token/);
    expect((await rpc(s, { cookie, 'x-csrf-token': `${csrf}x` })).status).toBe(403);
    expect((await rpc(s, { 'x-csrf-token': csrf })).status).toBe(401);

    const ok = await rpc(s, {
      cookie,
      'x-csrf-token': csrf,
      origin: sameOrigin,
      'sec-fetch-site': 'same-origin',
    });
    expect(ok.status).toBe(200);
    expect(ok.json.result?.version).toBe('0.0.0-test');
    expect((await rpc(s, { cookie, 'x-csrf-token': csrf })).status).toBe(200);

    for (const foreign of <Record<string, string>[]>[
      { origin: 'http://evil.example' },
      { origin: `http://${new URL(s.url).hostname}:18080` }, // an app's UI on another port: same site, other origin
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const refused = await rpc(s, { cookie, 'x-csrf-token': csrf, ...foreign });
      expect(refused.status, JSON.stringify(foreign)).toBe(403);
      expect(refused.json.error?.message).toMatch(/cross-site/);
    }

    // The CLI's bearer token needs no CSRF token.
    expect((await rpc(s, { authorization: `Bearer ${BEARER}` })).status).toBe(200);
  });

  it('logout ends the session and clears the cookie', async () => {
    const s = await startServer();
    const { cookie, csrf } = await setUp(s);
    const withoutCsrf = await call(s.url, 'POST', '/auth/logout', { headers: { cookie } });
    expect(withoutCsrf.status).toBe(403);

    const out = await call(s.url, 'POST', '/auth/logout', { headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.status).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/^archy_session=; .*Max-Age=0/);
    const after = await rpc(s, { cookie, 'x-csrf-token': csrf });
    expect(after.status).toBe(401);
    expect(after.json.error?.message).toMatch(/log in again/);
    expect((await call<WebAuthStatus>(s.url, 'GET', '/auth/status', { headers: { cookie } })).json).toEqual({
      passwordSet: true,
      authenticated: false,
    });
  });

  it('refuses a session after an hour idle, and after 12 hours however active', async () => {
    const s = await startServer();
    const idle = await setUp(s);
    s.advanceClock(HOUR + 1);
    const idleAnswer = await rpc(s, { cookie: idle.cookie, 'x-csrf-token': idle.csrf });
    expect(idleAnswer.status).toBe(401);
    expect(idleAnswer.json.error?.message).toMatch(/expired/);

    const busy = await logIn(s);
    for (let elapsed = 0; elapsed < 12 * HOUR - HOUR / 2; elapsed += HOUR / 2) {
      s.advanceClock(HOUR / 2);
      expect((await rpc(s, { cookie: busy.cookie, 'x-csrf-token': busy.csrf })).status).toBe(200);
    }
    s.advanceClock(HOUR / 2);
    expect((await rpc(s, { cookie: busy.cookie, 'x-csrf-token': busy.csrf })).status).toBe(401);
  });

  it('a password change needs the current password and CSRF token, and ends every other session', async () => {
    const s = await startServer();
    const a = await setUp(s);
    const b = await logIn(s);
    const change = (session: { cookie: string; csrf?: string }, body: unknown) =>
      call(s.url, 'POST', '/auth/password', {
        body,
        headers: { cookie: session.cookie, ...(session.csrf ? { 'x-csrf-token': session.csrf } : {}) },
      });

    expect((await change({ cookie: a.cookie }, { current: PASSWORD, next: NEW_PASSWORD })).status).toBe(403);
    expect(
      (await call(s.url, 'POST', '/auth/password', { body: { current: PASSWORD, next: NEW_PASSWORD } }))
        .status,
    ).toBe(401);
    const wrongCurrent = await change(a, { current: 'Not-the-password-1', next: NEW_PASSWORD });
    expect(wrongCurrent.status).toBe(401);
    expect(wrongCurrent.json.error).toMatch(/current password is wrong/);
    const weak = await change(a, { current: PASSWORD, next: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.json.error).toMatch(/at least 12 characters/);

    const changed = await change(a, { current: PASSWORD, next: NEW_PASSWORD });
    expect(changed.status).toBe(200);
    expect(changed.json).toEqual({ csrfToken: a.csrf });
    expect((await rpc(s, { cookie: a.cookie, 'x-csrf-token': a.csrf })).status).toBe(200);
    expect((await rpc(s, { cookie: b.cookie, 'x-csrf-token': b.csrf })).status).toBe(401);
    expect((await call(s.url, 'POST', '/auth/login', { body: { password: PASSWORD } })).status).toBe(401);
    await logIn(s, NEW_PASSWORD);
  });
});

describe('login brute force', () => {
  it('holds back each wrong answer longer, then refuses with 429 and Retry-After even for the right password', async () => {
    const s = await startServer({ throttle: { baseDelayMs: 100, maxFailuresPerClient: 5 } });
    await setUp(s);
    const times: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const wrong = await call(s.url, 'POST', '/auth/login', {
        body: { password: `Wrong-guess-${attempt}` },
      });
      expect(wrong.status).toBe(401);
      times.push(wrong.ms);
    }
    // Held back 100, 200, 400, 800, 1600 ms: the fifth takes far longer than the first.
    expect(times[4]! - times[0]!).toBeGreaterThan(1000);

    const locked = await call(s.url, 'POST', '/auth/login', { body: { password: PASSWORD } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(60);
    expect(locked.json).toMatchObject({ error: expect.stringMatching(/too many failed logins/) });
    expect(locked.headers['set-cookie']).toBeUndefined();
  });

  it('with the default throttle, a wrong guess takes a second and a parallel guess is refused meanwhile', async () => {
    const s = await startServer({ throttle: {} });
    await setUp(s);
    const first = call(s.url, 'POST', '/auth/login', { body: { password: 'Wrong-guess-1' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const parallel = await call(s.url, 'POST', '/auth/login', { body: { password: 'Wrong-guess-2' } });
    expect(parallel.status).toBe(429);
    expect(Number(parallel.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const answered = await first;
    expect(answered.status).toBe(401);
    expect(answered.ms).toBeGreaterThanOrEqual(950);
  });
});

/** Opens /ws and reports the HTTP status of a refused upgrade, or 101 for an open socket. */
function openWs(s: TestServer, headers: Record<string, string>, protocols: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${s.url.replace('http', 'ws')}/ws`, protocols, { headers });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

describe('GET /ws with a web session', () => {
  it("needs the CSRF token as a subprotocol and the node's own Origin; the cookie alone is refused", async () => {
    const s = await startServer();
    const { cookie, csrf } = await setUp(s);
    const own = { cookie, origin: `http://${s.host}` };
    const withToken = ['archy', `archy-csrf.${csrf}`];
    expect(await openWs(s, { cookie, origin: 'http://evil.example' }, withToken)).toBe(403);
    expect(await openWs(s, { cookie, origin: `http://${new URL(s.url).hostname}:18080` }, withToken)).toBe(
      403,
    );
    expect(await openWs(s, { cookie }, withToken)).toBe(403);
    expect(await openWs(s, { origin: `http://${s.host}` }, withToken)).toBe(401);
    expect(await openWs(s, own)).toBe(403);
    expect(await openWs(s, own, ['archy'])).toBe(403);
    expect(await openWs(s, own, ['archy', `archy-csrf.${csrf}x`])).toBe(403);
    expect(await openWs(s, own, withToken)).toBe(101);
  });

  it('answers the subprotocol archy, never the one holding the token', async () => {
    const s = await startServer();
    const { cookie, csrf } = await setUp(s);
    const socket = new WebSocket(`${s.url.replace('http', 'ws')}/ws`, ['archy', `archy-csrf.${csrf}`], {
      headers: { cookie, origin: `http://${s.host}` },
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    expect(socket.protocol).toBe('archy');
    socket.close();
  });
  it('closes an open socket when its session ends, and only that one', async () => {
    const s = await startServer();
    const first = await setUp(s);
    const second = await logIn(s);
    const open = (session: { cookie: string; csrf: string }) =>
      new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(
          `${s.url.replace('http', 'ws')}/ws`,
          ['archy', `archy-csrf.${session.csrf}`],
          {
            headers: { cookie: session.cookie, origin: `http://${s.host}` },
          },
        );
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
      });
    const closed = (socket: WebSocket) =>
      new Promise<{ code: number; reason: string }>((resolve) =>
        socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
      );
    const [a, b] = [await open(first), await open(second)];
    const aClosed = closed(a);
    let bClosed = false;
    b.once('close', () => (bClosed = true));
    const out = await call(s.url, 'POST', '/auth/logout', {
      headers: { cookie: first.cookie, 'x-csrf-token': first.csrf },
    });
    expect(out.status).toBeLessThan(300);
    // The next message it would get (or send) finds the session gone.
    a.send(JSON.stringify({ subscribe: 'logs', id: 'hello' }));
    expect(await aClosed).toEqual({ code: 4401, reason: 'the web session ended; log in again' });
    b.send(JSON.stringify({ subscribe: 'logs', id: 'hello' }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bClosed).toBe(false);
    b.close();
  });
});

describe('secrets in the log', () => {
  it('never logs passwords, session tokens, CSRF tokens or the bearer token', async () => {
    const s = await startServer();
    const setup = await setUp(s);
    const login = await logIn(s);
    await call(s.url, 'POST', '/auth/login', { body: { password: `${PASSWORD}-wrong` } });
    // A malformed body holding a password: JSON.parse's message would quote it.
    const malformed = await call(s.url, 'POST', '/auth/login', { rawBody: `{"password": "${PASSWORD}-torn` });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error).not.toContain(PASSWORD);
    await rpc(s, { cookie: login.cookie, 'x-csrf-token': login.csrf });
    await rpc(s, { cookie: login.cookie });
    await rpc(s, { authorization: `Bearer ${BEARER}` });
    await call(s.url, 'POST', '/auth/password', {
      body: { current: PASSWORD, next: NEW_PASSWORD },
      headers: { cookie: setup.cookie, 'x-csrf-token': setup.csrf },
    });

    const log = s.log();
    expect(log).toMatch(/incoming request/); // the capture works
    for (const secret of [
      PASSWORD,
      NEW_PASSWORD,
      BEARER,
      setup.cookie.split('=')[1]!,
      login.cookie.split('=')[1]!,
      setup.csrf,
      login.csrf,
    ]) {
      expect(log).not.toContain(secret);
    }
  });
});
