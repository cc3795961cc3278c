import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { client } from '../api/container-client';
import { DaemonSocket } from '../api/daemon-socket';
import { FakeWebSocket, fakeFetch } from '../test/fake-socket';
import { appStatus } from '../test/fixtures';
import { FALLBACK_POLL_MS, useApps } from './apps';
import { useToasts } from './toasts';

beforeEach(() => {
  setActivePinia(createPinia());
  FakeWebSocket.instances = [];
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
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
    expect(apps.refusals.hello).toBeUndefined();
  });
});

describe('a start the Bitcoin version guard refuses', () => {
  const message =
    "downgrading bitcoin-core 31.0 → 29.3 needs a reindex of the chainstate (hours); confirm with --confirm-downgrade. 'bitcoin-core' was not started";
  const refusal = (needs: string) => ({
    jsonrpc: '2.0',
    id: 1,
    error: {
      code: -32003,
      message,
      data: { guard: { kind: 'downgrade', needs, rules: ['older-release-series'] } },
    },
  });

  it('is kept for the page, not toasted, and a confirmed retry sends confirmDowngrade', async () => {
    const answers = [
      refusal('confirmation'),
      { jsonrpc: '2.0', id: 2, result: appStatus('bitcoin-core', { version: '29.3', state: 'starting' }) },
    ];
    const { fetch, calls } = fakeFetch(() => ({ body: answers.shift() }));
    vi.stubGlobal('fetch', fetch);
    const apps = useApps();
    apps.replaceAll([appStatus('bitcoin-core', { version: '29.3', state: 'stopped' })]);

    expect(await apps.act('bitcoin-core', 'start')).toBe(false);
    expect(useToasts().items).toEqual([]);
    expect(apps.refusals['bitcoin-core']).toEqual({
      action: 'start',
      refusal: {
        message:
          "downgrading bitcoin-core 31.0 → 29.3 needs a reindex of the chainstate (hours); confirm below. 'bitcoin-core' was not started",
        needs: 'confirmation',
        kind: 'downgrade',
        rules: ['older-release-series'],
      },
    });

    expect(await apps.act('bitcoin-core', 'start', { confirm: { confirmDowngrade: true } })).toBe(true);
    expect(calls.map((call) => call.body)).toMatchObject([
      { method: 'container-start', params: { id: 'bitcoin-core' } },
      { method: 'container-start', params: { id: 'bitcoin-core', confirmDowngrade: true } },
    ]);
    expect(apps.refusals['bitcoin-core']).toBeUndefined();
    expect(apps.byId['bitcoin-core']?.state).toBe('starting');
  });

  it('a restart refused the same way is kept as a restart; another failure replaces it with a toast', async () => {
    const answers = [
      refusal('typed-confirmation'),
      { jsonrpc: '2.0', id: 2, error: { code: -32603, message: 'bitcoind exited at start' } },
    ];
    const { fetch, calls } = fakeFetch(() => ({ body: answers.shift() }));
    vi.stubGlobal('fetch', fetch);
    const apps = useApps();
    expect(await apps.act('bitcoin-core', 'restart')).toBe(false);
    expect(apps.refusals['bitcoin-core']).toMatchObject({
      action: 'restart',
      refusal: { needs: 'typed-confirmation' },
    });

    const confirm = { confirmDowngrade: true, confirmResync: 'bitcoin-core' };
    expect(await apps.act('bitcoin-core', 'restart', { confirm })).toBe(false);
    expect(calls[1]!.body).toMatchObject({
      method: 'container-restart',
      params: { id: 'bitcoin-core', ...confirm },
    });
    expect(apps.refusals['bitcoin-core']).toBeUndefined();
    expect(useToasts().items.at(-1)).toMatchObject({ kind: 'error', message: 'bitcoind exited at start' });
  });

  it('a Conflict without the guard’s data is an error as before, and a stop never keeps a refusal', async () => {
    const guardless = { jsonrpc: '2.0', id: 1, error: { code: -32003, message: 'stop bitcoin-knots first' } };
    const answers = [guardless, refusal('confirmation')];
    const { fetch } = fakeFetch(() => ({ body: answers.shift() }));
    vi.stubGlobal('fetch', fetch);
    const apps = useApps();
    expect(await apps.act('bitcoin-core', 'start')).toBe(false);
    expect(apps.refusals['bitcoin-core']).toBeUndefined();
    expect(useToasts().items.at(-1)).toMatchObject({ message: 'stop bitcoin-knots first' });
    expect(await apps.act('bitcoin-core', 'stop')).toBe(false);
    expect(apps.refusals['bitcoin-core']).toBeUndefined();
    expect(useToasts().items).toHaveLength(2);

    apps.refusals = {
      'bitcoin-core': { action: 'start', refusal: { message: 'x', needs: 'nothing', rules: [] } },
    };
    apps.dismissRefusal('bitcoin-core');
    expect(apps.refusals).toEqual({});
  });
});
