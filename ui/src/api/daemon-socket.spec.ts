import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeWebSocket } from '../test/fake-socket';
import { backoffDelay, DaemonSocket } from './daemon-socket';

afterEach(() => vi.useRealTimers());

describe('DaemonSocket', () => {
  it('backs off exponentially with a cap', () => {
    const max = () => 1;
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, 500, 4000, max))).toEqual([
      500, 1000, 2000, 4000, 4000, 4000,
    ]);
    expect(backoffDelay(2, 500, 4000, () => 0)).toBe(1000);
  });

  it('reconnects after a drop, tells listeners it was a reconnect, and stops for good on close()', async () => {
    vi.useFakeTimers();
    FakeWebSocket.instances = [];
    const socket = new DaemonSocket({
      url: () => 'ws://node/ws',
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
      initialDelayMs: 100,
      random: () => 1,
    });
    const opens: boolean[] = [];
    socket.on('open', (reconnected) => opens.push(reconnected));
    socket.connect();
    FakeWebSocket.last.open();
    FakeWebSocket.last.drop();
    expect(socket.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(99);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
    // The second attempt fails too: the wait doubles.
    FakeWebSocket.last.drop();
    await vi.advanceTimersByTimeAsync(199);
    expect(FakeWebSocket.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    FakeWebSocket.last.open();
    expect(opens).toEqual([false, true]);

    socket.close();
    expect(socket.state).toBe('idle');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeWebSocket.instances).toHaveLength(3);
  });
});
