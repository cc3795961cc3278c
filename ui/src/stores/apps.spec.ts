import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { client } from '../api/container-client';
import { DaemonSocket } from '../api/daemon-socket';
import { FakeWebSocket } from '../test/fake-socket';
import { appStatus } from '../test/fixtures';
import { FALLBACK_POLL_MS, useApps } from './apps';

beforeEach(() => {
  setActivePinia(createPinia());
  FakeWebSocket.instances = [];
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const socketWithFake = () =>
  new DaemonSocket({
    url: () => 'ws://node/ws',
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    initialDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 1,
  });

describe('apps store', () => {
  it('applies app-state, app-removed and pull-progress events', () => {
    const apps = useApps();
    apps.replaceAll([appStatus('hello'), appStatus('bitcoin-core', { name: 'Bitcoin Core' })]);
    expect(apps.list.map((app) => app.id)).toEqual(['bitcoin-core', 'hello']);

    apps.applyEvent({
      event: 'app-state',
      data: appStatus('hello', { state: 'crash-loop', health: 'unhealthy' }),
    });
    expect(apps.byId.hello?.state).toBe('crash-loop');

    apps.applyEvent({
      event: 'app-state',
      data: appStatus('nostr', { state: 'installing', health: 'starting' }),
    });
    apps.applyEvent({
      event: 'pull-progress',
      data: { id: 'nostr', image: 'x', completedBytes: 5, totalBytes: 10, layersDone: 1, layersTotal: 2 },
    });
    expect(apps.pulls.nostr?.completedBytes).toBe(5);
    // Once the app is past installing, its pull is over.
    apps.applyEvent({
      event: 'app-state',
      data: appStatus('nostr', { state: 'starting', health: 'starting' }),
    });
    expect(apps.pulls.nostr).toBeUndefined();

    apps.applyEvent({ event: 'app-removed', data: { id: 'hello' } });
    expect(apps.byId.hello).toBeUndefined();
    expect(apps.list.map((app) => app.id)).toEqual(['bitcoin-core', 'nostr']);
  });

  it('keeps the latest image-progress per app while it installs or changes version, then drops it', () => {
    vi.spyOn(client, 'list').mockResolvedValue([]);
    const apps = useApps();
    const socket = socketWithFake();
    const disconnect = apps.connectLive(socket);
    FakeWebSocket.last.open();
    const progress = {
      id: 'bitcoin-core',
      version: '31.1',
      phase: 'download',
      detail: 'bitcoin-31.1-x86_64-linux-gnu.tar.gz',
      bytes: 1_000_000,
      total: 4_000_000,
    };
    FakeWebSocket.last.receive({
      event: 'app-state',
      data: appStatus('bitcoin-core', { state: 'installing' }),
    });
    FakeWebSocket.last.receive({ event: 'image-progress', data: progress });
    FakeWebSocket.last.receive({ event: 'image-progress', data: { ...progress, bytes: 3_000_000 } });
    expect(apps.images['bitcoin-core']).toMatchObject({ phase: 'download', bytes: 3_000_000 });
    // Other apps' progress is their own.
    FakeWebSocket.last.receive({ event: 'image-progress', data: { ...progress, id: 'bitcoin-knots' } });
    expect(apps.images['bitcoin-core']?.bytes).toBe(3_000_000);

    FakeWebSocket.last.receive({ event: 'app-state', data: appStatus('bitcoin-core', { state: 'running' }) });
    expect(apps.images['bitcoin-core']).toBeUndefined();
    // A failed install is rolled back: the app is removed, and so is its progress.
    FakeWebSocket.last.receive({ event: 'app-removed', data: { id: 'bitcoin-knots' } });
    expect(apps.images['bitcoin-knots']).toBeUndefined();
    disconnect();
    socket.close();
  });

  it('follows /ws: fetches the list on open and after every reconnect, polls only while disconnected', async () => {
    vi.useFakeTimers();
    const list = vi.spyOn(client, 'list').mockResolvedValue([appStatus('hello')]);
    const apps = useApps();
    const socket = socketWithFake();
    const disconnect = apps.connectLive(socket);

    FakeWebSocket.last.open();
    await vi.waitFor(() => expect(apps.loaded).toBe(true));
    expect(list).toHaveBeenCalledTimes(1);
    expect(apps.live).toBe(true);

    // Connected: events update the page, and no poll happens however long we wait.
    FakeWebSocket.last.receive({
      event: 'app-state',
      data: appStatus('hello', { state: 'stopped', health: 'none' }),
    });
    expect(apps.byId.hello?.state).toBe('stopped');
    await vi.advanceTimersByTimeAsync(FALLBACK_POLL_MS * 3);
    expect(list).toHaveBeenCalledTimes(1);
    expect(apps.polling()).toBe(false);

    // Dropped: reconnecting with backoff, and a slow poll meanwhile.
    FakeWebSocket.last.drop();
    expect(apps.live).toBe(false);
    expect(apps.polling()).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.open();
    await vi.advanceTimersByTimeAsync(0);
    // The reconnect refetched what may have been missed, and polling stopped.
    expect(list).toHaveBeenCalledTimes(2);
    expect(apps.polling()).toBe(false);

    disconnect();
    socket.close();
  });

  it('runs actions and reports the daemon refusal as a toast', async () => {
    const apps = useApps();
    apps.replaceAll([appStatus('hello')]);
    vi.spyOn(client, 'stop').mockResolvedValue(appStatus('hello', { state: 'stopped', health: 'none' }));
    expect(await apps.act('hello', 'stop')).toBe(true);
    expect(apps.byId.hello?.state).toBe('stopped');

    const { RpcError } = await import('../api/container-client');
    vi.spyOn(client, 'start').mockRejectedValue(
      new RpcError(-32003, "stop bitcoin-knots first: it can't run with hello"),
    );
    expect(await apps.act('hello', 'start')).toBe(false);
    const { useToasts } = await import('./toasts');
    expect(useToasts().items.at(-1)).toMatchObject({
      kind: 'error',
      message: "stop bitcoin-knots first: it can't run with hello",
    });
    expect(apps.busy.hello).toBeUndefined();
  });
});
