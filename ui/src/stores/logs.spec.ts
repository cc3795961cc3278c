import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { client } from '../api/container-client';
import { DaemonSocket } from '../api/daemon-socket';
import { FakeWebSocket } from '../test/fake-socket';
import { useLogs } from './logs';

beforeEach(() => {
  setActivePinia(createPinia());
  FakeWebSocket.instances = [];
});

const openSocket = () => {
  const socket = new DaemonSocket({
    url: () => 'ws://node/ws',
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
  });
  socket.connect();
  FakeWebSocket.last.open();
  return socket;
};
const log = (line: string, stream = 'stdout') => ({ event: 'log', data: { id: 'hello', stream, line } });

describe('logs store', () => {
  it('subscribes over /ws, follows, pauses, filters, exports and unsubscribes', async () => {
    const socket = openSocket();
    const logs = useLogs();
    await logs.follow('hello', socket);
    expect(FakeWebSocket.last.sent).toEqual([{ subscribe: 'logs', id: 'hello', tail: 200 }]);

    FakeWebSocket.last.receive(log('listening on :8080'));
    FakeWebSocket.last.receive(log('GET / 200', 'stderr'));
    expect(logs.visibleLines('hello').map((line) => line.line)).toEqual(['listening on :8080', 'GET / 200']);

    logs.setPaused('hello', true);
    FakeWebSocket.last.receive(log('GET /x 404'));
    expect(logs.visibleLines('hello')).toHaveLength(2);
    expect(logs.view('hello').pending).toHaveLength(1);
    logs.setPaused('hello', false);
    expect(logs.visibleLines('hello')).toHaveLength(3);

    logs.setFilter('hello', 'get');
    expect(logs.visibleLines('hello').map((line) => line.line)).toEqual(['GET / 200', 'GET /x 404']);
    expect(logs.exportText('hello')).toBe('listening on :8080\nGET / 200\nGET /x 404\n');

    FakeWebSocket.last.receive({ end: 'logs', id: 'hello' });
    expect(logs.view('hello').ended).toBe(true);

    logs.unfollow('hello');
    expect(FakeWebSocket.last.sent.at(-1)).toEqual({ unsubscribe: 'logs', id: 'hello' });
    FakeWebSocket.last.receive(log('after unsubscribe'));
    expect(logs.exportText('hello')).not.toContain('after unsubscribe');
    socket.close();
  });

  it('falls back to container-logs while /ws is down, and subscribes once it is back', async () => {
    const socket = new DaemonSocket({
      url: () => 'ws://node/ws',
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    });
    socket.connect();
    vi.spyOn(client, 'logs').mockResolvedValue([{ stream: 'stdout', line: 'old line' }]);
    const logs = useLogs();
    await logs.follow('hello', socket);
    expect(logs.visibleLines('hello').map((line) => line.line)).toEqual(['old line']);
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toEqual([{ subscribe: 'logs', id: 'hello', tail: 200 }]);
    expect(logs.view('hello').following).toBe(true);
    socket.close();
  });

  it('on an app of several services: every service merged, or one alone with its own backlog', async () => {
    const socket = openSocket();
    const logs = useLogs();
    const fromService = (line: string, service: string) => ({
      event: 'log',
      data: { id: 'hello', stream: 'stdout', line, service },
    });
    await logs.follow('hello', socket);
    FakeWebSocket.last.receive(fromService('GET /', 'web'));
    FakeWebSocket.last.receive(fromService('ready for connections', 'db'));
    expect(logs.exportText('hello')).toBe('[web] GET /\n[db] ready for connections\n');

    // The db's own last lines come from container-logs with `service`, not from the merged tail.
    const backlog = vi.spyOn(client, 'logs').mockResolvedValue([
      { stream: 'stdout', line: 'InnoDB: started', service: 'db' },
      { stream: 'stdout', line: 'ready for connections', service: 'db' },
    ]);
    await logs.setService('hello', 'db');
    expect(backlog).toHaveBeenCalledWith('hello', 200, 'db');
    expect(FakeWebSocket.last.sent.at(-1)).toEqual({ subscribe: 'logs', id: 'hello', tail: 200 });
    await vi.waitFor(() =>
      expect(logs.visibleLines('hello').map((line) => line.line)).toEqual([
        'InnoDB: started',
        'ready for connections',
      ]),
    );
    FakeWebSocket.last.receive(fromService('GET /x', 'web'));
    FakeWebSocket.last.receive(fromService('query', 'db'));
    expect(logs.visibleLines('hello').map((line) => line.line)).toEqual([
      'InnoDB: started',
      'ready for connections',
      'query',
    ]);
    expect(logs.exportText('hello')).toBe('InnoDB: started\nready for connections\nquery\n');

    // Back to all: a fresh merged snapshot over /ws.
    await logs.setService('hello', undefined);
    expect(logs.view('hello').service).toBeUndefined();
    expect(FakeWebSocket.last.sent.filter((m) => (m as { subscribe?: string }).subscribe)).toHaveLength(3);
    FakeWebSocket.last.receive(fromService('GET /y', 'web'));
    expect(logs.visibleLines('hello').map((line) => line.line)).toEqual(['GET /y']);
    socket.close();
  });
});
