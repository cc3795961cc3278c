import type { ServiceStatus } from '@archipelago/core/contract';
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ServicesTable from './ServicesTable.vue';

// One row per service of a multi-service app: which one is main, its state folded with health,
// since when it runs or how it ended, its published ports and its image.

const service = (name: string, patch: Partial<ServiceStatus> = {}): ServiceStatus => ({
  name,
  main: false,
  containerName: `archy-mempool_${name}`,
  image: `127.0.0.1:5000/archy-test/${name}:1`,
  state: 'running',
  health: 'none',
  ports: [],
  ...patch,
});

describe('ServicesTable', () => {
  it('shows each service with its state, ports, image and since when', () => {
    const services = [
      service('web', {
        main: true,
        containerName: 'archy-mempool',
        health: 'healthy',
        startedAt: new Date(Date.now() - 5 * 60_000).toISOString(),
        ports: [{ container: 8080, host: 3006, protocol: 'tcp' }],
      }),
      service('api', { health: 'starting' }),
      service('db', { state: 'failed', health: 'unhealthy', exitCode: 137 }),
      service('cache', { state: 'missing' }),
    ];
    const wrapper = mount(ServicesTable, { props: { services, host: '192.168.1.20' } });
    const rows = wrapper.findAll('[data-test=service-row]');
    expect(rows.map((row) => row.attributes('data-service'))).toEqual(['web', 'api', 'db', 'cache']);

    expect(rows[0]!.get('th').text()).toContain('main');
    expect(rows[0]!.get('th').text()).toContain('archy-mempool');
    expect(rows[1]!.get('th').text()).not.toContain('main');
    expect(rows.map((row) => row.get('[data-test=service-state]').text())).toEqual([
      'Running · healthy',
      'Running · checking',
      'Failed',
      'No container',
    ]);
    expect(rows[0]!.get('[data-test=service-state]').classes()).toContain('ok');
    expect(rows[2]!.get('[data-test=service-state]').classes()).toContain('bad');
    expect(rows[0]!.get('[data-test=service-since]').text()).toBe('started 5 min ago');
    expect(rows[2]!.get('[data-test=service-since]').text()).toBe('exit code 137');
    expect(rows[0]!.get('a').attributes('href')).toBe('http://192.168.1.20:3006');
    expect(rows[1]!.text()).toContain('none');
    expect(rows[2]!.text()).toContain('127.0.0.1:5000/archy-test/db:1');
    expect(wrapper.get('caption').text()).toContain('containers of this app');
  });
});
