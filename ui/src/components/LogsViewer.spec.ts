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
