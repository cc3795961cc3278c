import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { client } from '../api/container-client';
import { DaemonSocket } from '../api/daemon-socket';
import { FakeWebSocket } from '../test/fake-socket';
import LogsViewer from './LogsViewer.vue';

// A version switch recreates the container and a stop ends its log stream: the viewer follows
// the new run of the container without a reload.

beforeEach(() => {
  setActivePinia(createPinia());
  FakeWebSocket.instances = [];
});
afterEach(() => vi.restoreAllMocks());

describe('LogsViewer', () => {
  it('follows a new run of the container, and only a new one', async () => {
    const socket = new DaemonSocket({
      url: () => 'ws://node/ws',
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    });
    socket.connect();
    FakeWebSocket.last.open();
    const subscribes = () =>
      FakeWebSocket.last.sent.filter((message) => (message as { subscribe?: string }).subscribe === 'logs');

    const wrapper = mount(LogsViewer, { props: { appId: 'bitcoin-core', run: 'c1@t1', socket } });
    await flushPromises();
    expect(subscribes()).toHaveLength(1);

    FakeWebSocket.last.receive({
      event: 'log',
      data: { id: 'bitcoin-core', stream: 'stdout', line: 'v29.3' },
    });
    FakeWebSocket.last.receive({ end: 'logs', id: 'bitcoin-core' });
    await flushPromises();
    expect(wrapper.get('[data-test=logs-state]').text()).toBe('Ended');

    // On the way: no container for a moment, then the new one.
    await wrapper.setProps({ run: undefined });
    await wrapper.setProps({ run: 'c2@t2' });
    await flushPromises();
    expect(subscribes()).toHaveLength(2);
    expect(wrapper.get('[data-test=logs-state]').text()).toBe('Live');
    FakeWebSocket.last.receive({
      event: 'log',
      data: { id: 'bitcoin-core', stream: 'stdout', line: 'v28.4' },
    });
    await flushPromises();
    expect(wrapper.get('[data-test=logs]').text()).toContain('v28.4');

    // The same run again (e.g. a health change re-renders the page): no second subscription.
    await wrapper.setProps({ run: 'c2@t2' });
    await flushPromises();
    expect(subscribes()).toHaveLength(2);
    wrapper.unmount();
    socket.close();
  });

  it('marks each line with its service, and filters by service, on an app of several', async () => {
    const socket = new DaemonSocket({
      url: () => 'ws://node/ws',
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    });
    socket.connect();
    FakeWebSocket.last.open();
    const single = mount(LogsViewer, { props: { appId: 'hello', services: ['main'], socket } });
    expect(single.find('[data-test=logs-service]').exists()).toBe(false);
    single.unmount();

    const wrapper = mount(LogsViewer, {
      props: { appId: 'mempool', services: ['web', 'api', 'db'], socket },
    });
    await flushPromises();
    const select = wrapper.get('[data-test=logs-service]');
    expect(select.findAll('option').map((option) => option.text())).toEqual([
      'All services',
      'web',
      'api',
      'db',
    ]);
    FakeWebSocket.last.receive({
      event: 'log',
      data: { id: 'mempool', stream: 'stdout', line: 'GET /', service: 'web' },
    });
    await flushPromises();
    expect(wrapper.get('[data-test=logs] div').text()).toBe('[web] GET /');

    const backlog = vi
      .spyOn(client, 'logs')
      .mockResolvedValue([{ stream: 'stderr', line: 'Aborted connection', service: 'db' }]);
    await select.setValue('db');
    await flushPromises();
    expect(backlog).toHaveBeenCalledWith('mempool', 200, 'db');
    // One service alone: no prefix.
    expect(wrapper.get('[data-test=logs] div').text()).toBe('Aborted connection');
    expect(wrapper.get('[data-test=logs] div').classes()).toContain('stderr');
    wrapper.unmount();
    socket.close();
  });
});

describe('LogsViewer: earlier lines', () => {
  it('loads kept lines from before the running container, page by page, with a divider per container', async () => {
    const socket = new DaemonSocket({
      url: () => 'ws://node/ws',
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    });
    socket.connect();
    FakeWebSocket.last.open();
    const kept = (container: string, time: string, line: string) => ({
      stream: 'stdout' as const,
      line,
      time,
      container,
    });
    const pages = vi
      .spyOn(client, 'keptLogs')
      // A full page (200): there may be more before it.
      .mockResolvedValueOnce([
        kept('aaaaaaaaaaaa', '2026-12-06T10:00:01.000000000Z', 'v28 last line'),
        kept('bbbbbbbbbbbb', '2026-12-06T10:00:02.000000000Z', 'v29 first line'),
        ...Array.from({ length: 196 }, (_, i) =>
          kept('bbbbbbbbbbbb', '2026-12-06T10:00:02.000000000Z', `v29 line ${i}`),
        ),
        kept('bbbbbbbbbbbb', '2026-12-06T10:00:02.000000000Z', 'v29 second line'),
        // The running container's own earlier run: the live view has it from Podman.
        kept('cccccccccccc', '2026-12-06T10:00:03.000000000Z', 'current, previous run'),
      ])
      .mockResolvedValueOnce([
        kept('aaaaaaaaaaaa', '2026-12-06T10:00:00.000000000Z', 'v28 first line'),
        kept('aaaaaaaaaaaa', '2026-12-06T10:00:01.000000000Z', 'v28 last line'),
      ]);
    const wrapper = mount(LogsViewer, {
      props: { appId: 'bitcoin-core', run: 'cccccccccccc0123@2026-12-06T10:00:04.000Z', socket },
    });
    await flushPromises();
    FakeWebSocket.last.receive({
      event: 'log',
      data: { id: 'bitcoin-core', stream: 'stdout', line: 'live' },
    });

    await wrapper.get('[data-test=logs-earlier]').trigger('click');
    await flushPromises();
    // The first page ends where the running container's current run began.
    expect(pages).toHaveBeenLastCalledWith('bitcoin-core', '2026-12-06T10:00:04.000Z', 200, undefined);
    const text = () => wrapper.get('[data-test=logs]').text();
    expect(text()).not.toContain('current, previous run');
    expect(wrapper.findAll('[data-test=logs-divider]').map((d) => d.text())).toEqual([
      '— container aaaaaaaaaaaa · from 2026-12-06 10:00:01 UTC —',
      '— container bbbbbbbbbbbb · from 2026-12-06 10:00:02 UTC —',
      '— the container running now (cccccccccccc) —',
    ]);

    // The next page ends at the oldest line so far; the one line it shares that time with is not doubled.
    await wrapper.get('[data-test=logs-earlier]').trigger('click');
    await flushPromises();
    expect(pages).toHaveBeenLastCalledWith('bitcoin-core', '2026-12-06T10:00:01.000000000Z', 201, undefined);
    expect(text().match(/v28 last line/g)).toHaveLength(1);
    expect(text().indexOf('v28 first line')).toBeLessThan(text().indexOf('v28 last line'));
    expect(text().indexOf('v29 second line')).toBeLessThan(text().indexOf('live'));
    expect(wrapper.find('[data-test=logs-earlier-done]').exists()).toBe(true);
    wrapper.unmount();
    socket.close();
  });
});
