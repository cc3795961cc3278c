import { describe, expect, it } from 'vitest';
import { MAX_SESSIONS, SessionStore } from './session-store.js';

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('SessionStore', () => {
  it('finds a session by its token and keeps only the token hash', () => {
    const store = new SessionStore();
    const { token, session } = store.create('127.0.0.1:5959');
    expect(store.find(token)).toBe(session);
    expect(session.id).not.toContain(token);
    expect(JSON.stringify(session)).not.toContain(token);
    expect(store.find(`${token}x`)).toBeUndefined();
  });

  it('ends a session after the idle time unless touched, and after the absolute time regardless', () => {
    const time = clock();
    const store = new SessionStore({ now: time.now, timeouts: { idleMs: 100, absoluteMs: 250 } });
    const { token, session } = store.create('127.0.0.1:5959');
    time.advance(90);
    store.touch(session);
    time.advance(90);
    expect(store.find(token)).toBe(session);
    store.touch(session);
    time.advance(80); // 260 ms after login
    expect(store.find(token)).toBeUndefined();

    const idle = store.create('127.0.0.1:5959');
    time.advance(100);
    expect(store.find(idle.token)).toBeUndefined();
  });

  it('destroys all sessions but one, and bounds how many it keeps', () => {
    const store = new SessionStore();
    const kept = store.create('127.0.0.1:5959');
    const other = store.create('127.0.0.1:5959');
    store.destroyAllExcept(kept.session);
    expect(store.find(kept.token)).toBeDefined();
    expect(store.find(other.token)).toBeUndefined();
    for (let i = 0; i < MAX_SESSIONS + 5; i++) store.create('127.0.0.1:5959');
    expect(store.size).toBe(MAX_SESSIONS);
    expect(store.find(kept.token)).toBeUndefined();
  });
});
