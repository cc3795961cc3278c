import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

const wrong = async () => false;
const right = async () => true;

function clock() {
  let now = 5_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('LoginThrottle', () => {
  it('holds back failures with a doubling delay and refuses after the limit, with a Retry-After', async () => {
    const time = clock();
    const throttle = new LoginThrottle({ now: time.now, baseDelayMs: 20, maxFailuresPerClient: 3 });
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      expect(await throttle.attempt('a', wrong)).toEqual({ outcome: 'failure' });
      durations.push(performance.now() - started);
    }
    expect(durations[0]).toBeGreaterThanOrEqual(15);
    expect(durations[2]).toBeGreaterThanOrEqual(70); // 80 ms: the third failure
    const refused = await throttle.attempt('a', right);
    expect(refused).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/too many failed logins/),
    });
    expect(refused.outcome === 'refused' && refused.retryAfterSeconds).toBe(15 * 60);
    // Another client is not affected, and the first may try again once its failures age out.
    expect(await throttle.attempt('b', right)).toEqual({ outcome: 'success' });
    time.advance(15 * 60 * 1000);
    expect(await throttle.attempt('a', right)).toEqual({ outcome: 'success' });
  });

  it('allows one attempt in flight per client, so parallel guesses do not dodge the delay', async () => {
    const throttle = new LoginThrottle({ baseDelayMs: 200 });
    const first = throttle.attempt('a', wrong);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await throttle.attempt('a', right)).toMatchObject({ outcome: 'refused', retryAfterSeconds: 1 });
    expect(await first).toEqual({ outcome: 'failure' });
  });

  it("a success forgets the client's failures", async () => {
    const throttle = new LoginThrottle({ baseDelayMs: 1, maxFailuresPerClient: 2 });
    await throttle.attempt('a', wrong);
    await throttle.attempt('a', right);
    await throttle.attempt('a', wrong);
    expect(await throttle.attempt('a', right)).toEqual({ outcome: 'success' });
  });

  it('counts failures across clients: delays everyone past one threshold, refuses everyone past another', async () => {
    const throttle = new LoginThrottle({
      baseDelayMs: 10,
      globalFailuresBeforeDelay: 2,
      maxFailuresGlobal: 4,
    });
    for (const client of ['a', 'b']) await throttle.attempt(client, wrong);
    const started = performance.now();
    await throttle.attempt('c', wrong); // 3rd overall: 10 ms (its own first), global 10 ms
    await throttle.attempt('d', wrong); // 4th overall: global 20 ms
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(await throttle.attempt('e', right)).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/web login is paused/),
    });
  });

  it('refuses rather than queues when too many password checks run at once', async () => {
    const throttle = new LoginThrottle({ maxConcurrentChecks: 1 });
    let finish!: (ok: boolean) => void;
    const slow = throttle.attempt('a', () => new Promise<boolean>((resolve) => (finish = resolve)));
    expect(await throttle.attempt('b', right)).toMatchObject({ outcome: 'refused', retryAfterSeconds: 1 });
    finish(true);
    expect(await slow).toEqual({ outcome: 'success' });
    expect(await throttle.attempt('b', right)).toEqual({ outcome: 'success' });
  });

  it('keeps a kept client (the onion bucket) when rotating addresses fill the table', async () => {
    const throttle = new LoginThrottle({
      baseDelayMs: 1,
      maxFailuresPerClient: 2,
      maxTrackedClients: 3,
      keptClients: ['onion'],
    });
    await throttle.attempt('onion', wrong);
    await throttle.attempt('onion', wrong);
    // Each new address fails once, so it cannot be forgotten as idle: the table must drop someone.
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'])
      await throttle.attempt(address, wrong);
    expect(await throttle.attempt('onion', right)).toMatchObject({ outcome: 'refused' });
  });
});
