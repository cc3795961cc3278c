import { flushPromises, mount } from '@vue/test-utils';
import type { AppUsage, ResourcesReport } from '@archipelago/core/contract';
import { describe, expect, it, vi } from 'vitest';
import { RpcError } from '../api/container-client';
import AppResources from './AppResources.vue';

// The details page's Resources panel: the app's row of the daemon's `resources` report.

function report(apps: AppUsage[], memoryEnforced = true): ResourcesReport {
  return {
    capacity: {
      memoryBytes: 8e9,
      memoryAvailableBytes: 6e9,
      cpus: 4,
      disk: { path: '/var/lib/archipelago', freeBytes: 5e11, totalBytes: 1e12 },
      enforcement: {
        cgroupVersion: memoryEnforced ? 'v2' : 'v1',
        memory: memoryEnforced,
        cpu: memoryEnforced,
        pids: memoryEnforced,
        ...(!memoryEnforced && { reason: 'rootless Podman on cgroup v1 ignores limits' }),
      },
    },
    budget: { memoryShare: 0.8, diskReserveBytes: 1e10, memoryBudgetBytes: 6.4e9 },
    allocated: { memoryBytes: 1e9, diskMinBytes: 1e9 },
    apps,
  };
}

const bitcoin: AppUsage = {
  id: 'bitcoin-core',
  cpuPercent: 37.4,
  memoryBytes: 412_000_000,
  memoryLimitBytes: 2_000_000_000,
  diskBytes: 7_300_000_000,
  source: 'cgroup',
};

describe('AppResources', () => {
  it("shows the app's CPU, memory of its limit, and disk", async () => {
    const call = vi
      .fn()
      .mockResolvedValue(report([{ id: 'hello', diskBytes: 4096, source: 'cgroup' }, bitcoin]));
    const wrapper = mount(AppResources, { props: { appId: 'bitcoin-core', api: { call: call as never } } });
    await flushPromises();
    expect(call).toHaveBeenCalledWith('resources', {});
    expect(wrapper.get('[data-test=resources-cpu]').text()).toBe('37 % of one CPU (host has 4)');
    expect(wrapper.get('[data-test=resources-memory]').text()).toBe('412 MB of 2.0 GB');
    expect(wrapper.get('[data-test=resources-disk]').text()).toBe('7.3 GB');
    expect(wrapper.find('[data-test=not-enforced]').exists()).toBe(false);
  });

  it('says when the app is not running, when its disk is only partly measured, and when limits are not enforced', async () => {
    const stopped: AppUsage = {
      id: 'bitcoin-core',
      memoryLimitBytes: 2_000_000_000,
      diskBytes: 1_500_000,
      diskPartial: true,
      source: 'proc',
    };
    const call = vi.fn().mockResolvedValue(report([stopped], false));
    const wrapper = mount(AppResources, { props: { appId: 'bitcoin-core', api: { call: call as never } } });
    await flushPromises();
    expect(wrapper.get('[data-test=resources-cpu]').text()).toBe('not running');
    expect(wrapper.get('[data-test=resources-memory]').text()).toBe('not running');
    expect(wrapper.get('[data-test=resources-disk]').text()).toContain('1.5 MB');
    expect(wrapper.get('[data-test=resources-disk]').text()).toContain('could not be read');
    expect(wrapper.get('[data-test=not-enforced]').text()).toContain('cgroup v1');
  });

  it('measures again when the app changes state and on Refresh; shows a refusal in the daemon words', async () => {
    const call = vi.fn().mockResolvedValue(report([bitcoin]));
    const wrapper = mount(AppResources, {
      props: { appId: 'bitcoin-core', refreshKey: 'running/28.4', api: { call: call as never } },
    });
    await flushPromises();
    expect(call).toHaveBeenCalledTimes(1);
    await wrapper.setProps({ refreshKey: 'running/31.0' });
    await flushPromises();
    expect(call).toHaveBeenCalledTimes(2);

    call.mockRejectedValueOnce(new RpcError(-32603, 'cannot read podman stats: the socket is gone'));
    await wrapper.get('[data-test=resources-refresh]').trigger('click');
    await flushPromises();
    expect(call).toHaveBeenCalledTimes(3);
    expect(wrapper.get('[data-test=resources-error]').text()).toBe(
      'cannot read podman stats: the socket is gone',
    );
  });
});
