import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { client } from '../api/container-client';
import { fakeFetch } from '../test/fake-socket';
import { useAuth } from './auth';

beforeEach(() => {
  setActivePinia(createPinia());
  client.csrfToken = undefined;
  sessionStorage.clear();
});
afterEach(() => vi.unstubAllGlobals());

describe('auth store', () => {
  it('first run: setup with the code, then RPC calls carry the CSRF token, kept in sessionStorage', async () => {
    let passwordSet = false;
    const { fetch, calls } = fakeFetch((path, init) => {
      if (path === '/auth/status') return { body: { passwordSet, authenticated: false } };
      if (path === '/auth/setup') {
        passwordSet = true;
        return { body: { csrfToken: 'csrf-1' } };
      }
      if (path === '/rpc/v1') {
        const headers = init.headers as Record<string, string>;
        return headers['x-csrf-token'] === 'csrf-1'
          ? { body: { jsonrpc: '2.0', id: 1, result: [] } }
          : { status: 403, body: { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'no csrf' } } };
      }
      return { status: 404, body: {} };
    });
    vi.stubGlobal('fetch', fetch);
    const auth = useAuth();
    expect(await auth.refresh()).toBe('setup');
    expect(await auth.setup('a long enough passphrase', 'ABCD-EFGH-JKMN-PQRS')).toBe(true);
    expect(auth.phase).toBe('ready');
    expect(calls.find((call) => call.path === '/auth/setup')?.body).toEqual({
      password: 'a long enough passphrase',
      setupCode: 'ABCD-EFGH-JKMN-PQRS',
    });
    await expect(client.list()).resolves.toEqual([]);
    expect(Object.values({ ...sessionStorage })).toContain('csrf-1');
  });

  it("shows the daemon's words for a wrong password and a throttle", async () => {
    let attempts = 0;
    const { fetch } = fakeFetch((path) => {
      if (path === '/auth/status') return { body: { passwordSet: true, authenticated: false } };
      attempts++;
      return attempts === 1
        ? { status: 401, body: { error: 'wrong password' } }
        : { status: 429, body: { error: 'too many attempts', retryAfterSeconds: 30 } };
    });
    vi.stubGlobal('fetch', fetch);
    const auth = useAuth();
    expect(await auth.refresh()).toBe('login');
    expect(await auth.login('nope')).toBe(false);
    expect(auth.error).toBe('wrong password');
    expect(auth.phase).toBe('login');
    expect(await auth.login('nope')).toBe(false);
    expect(auth.error).toBe('too many attempts (try again in 30 s)');
  });

  it('a reload presents the kept token and is ready at once; an expired session sends the user to login', async () => {
    client.csrfToken = 'csrf-2'; // what sessionStorage kept across the reload
    const { fetch, calls } = fakeFetch((path, init) =>
      path === '/auth/status'
        ? {
            body: {
              passwordSet: true,
              authenticated: (init.headers as Record<string, string>)['x-csrf-token'] === 'csrf-2',
            },
          }
        : {
            status: 401,
            body: {
              jsonrpc: '2.0',
              id: null,
              error: { code: -32001, message: 'your web session has expired' },
            },
          },
    );
    vi.stubGlobal('fetch', fetch);
    const auth = useAuth();
    client.onUnauthorized = () => auth.sessionEnded();
    expect(await auth.refresh()).toBe('ready');
    expect((calls[0]!.init.headers as Record<string, string>)['x-csrf-token']).toBe('csrf-2');
    await expect(client.list()).rejects.toMatchObject({
      message: 'your web session has expired',
      unauthorized: true,
    });
    expect(auth.phase).toBe('login');
    expect(client.csrfToken).toBeUndefined();
    client.onUnauthorized = undefined;
  });

  it('without a token (a new tab, no other tab open) asks to log in, whatever the cookie', async () => {
    const { fetch } = fakeFetch(() => ({ body: { passwordSet: true, authenticated: false } }));
    vi.stubGlobal('fetch', fetch);
    expect(await useAuth().refresh()).toBe('login');
  });

  it('says so when the node cannot be reached', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')));
    const auth = useAuth();
    expect(await auth.refresh()).toBe('unknown');
    expect(auth.error).toMatch(/cannot reach the node/);
  });
});
