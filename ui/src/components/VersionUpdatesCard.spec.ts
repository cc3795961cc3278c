import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { RpcError } from '../api/container-client';
import { appStatus, versionInfo } from '../test/fixtures';
import VersionUpdatesCard from './VersionUpdatesCard.vue';

const core = appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '31.0' });
const versions = [
  versionInfo('31.0', { default: true, installed: true }),
  versionInfo('30.2'),
  versionInfo('28.4', { deprecated: true }),
];

function mountCard(call: (...args: unknown[]) => Promise<unknown>, props: Record<string, unknown> = {}) {
  return mount(VersionUpdatesCard, {
    props: {
      app: core,
      versions,
      otherVersions: [versionInfo('29.3.knots20260508', { default: true })],
      otherName: 'Bitcoin Knots',
      api: { call: call as never },
      ...props,
    },
  });
}

describe('VersionUpdatesCard', () => {
  it('shows the current version, auto-update off by default', () => {
    const wrapper = mountCard(vi.fn());
    expect(wrapper.get('[data-test=current-version]').text()).toContain('31.0');
    expect(wrapper.get<HTMLInputElement>('[data-test=auto-update]').element.checked).toBe(false);
  });

  it('blocks a downgrade until the reindex warning is confirmed', async () => {
    const call = vi.fn().mockResolvedValue({});
    const wrapper = mountCard(call);
    await wrapper.get('[data-test=target-version]').setValue('28.4');
    expect(wrapper.get('[data-test=downgrade-warning]').text()).toMatch(/reindex/);
    const apply = wrapper.get<HTMLButtonElement>('[data-test=apply-version]');
    expect(apply.element.disabled).toBe(true);
    await wrapper.get('[data-test=confirm-downgrade]').setValue(true);
    expect(apply.element.disabled).toBe(false);
    await apply.trigger('click');
    expect(call).toHaveBeenCalledWith('package.set-version', {
      id: 'bitcoin-core',
      version: '28.4',
      confirmDowngrade: true,
    });
  });

  it("shows the daemon's pin and update, says what the change did, and tells the page", async () => {
    const wrapper = mountCard(vi.fn(), { update: { version: '31.0', display: '31.0' } });
    expect(wrapper.get('[data-test=card-update]').text()).toBe('31.0 is available');
    // The catalog answer arriving after the card: the pin hides the update and disables auto-update.
    await wrapper.setProps({ config: { pinnedVersion: '31.0', autoUpdate: false } });
    expect(wrapper.find('[data-test=pinned]').exists()).toBe(true);
    expect(wrapper.find('[data-test=card-update]').exists()).toBe(false);
    expect(wrapper.get<HTMLInputElement>('[data-test=auto-update]').element.disabled).toBe(true);

    const result = {
      status: core,
      from: { id: 'bitcoin-core', version: '31.0' },
      to: { id: 'bitcoin-core', version: '28.4' },
      warning: 'the chainstate is rebuilt (-reindex-chainstate).',
    };
    const call = vi.fn().mockResolvedValue(result);
    const changing = mountCard(call);
    await changing.get('[data-test=target-version]').setValue('28.4');
    await changing.get('[data-test=confirm-downgrade]').setValue(true);
    await changing.get('[data-test=apply-version]').trigger('click');
    await flushPromises();
    expect(changing.text()).toContain('Now running 28.4. The chainstate is rebuilt (-reindex-chainstate).');
    expect(changing.emitted('changed')).toHaveLength(1);
  });

  it('on a pruned node needs the app id typed', async () => {
    const wrapper = mountCard(vi.fn(), { pruned: true });
    await wrapper.get('[data-test=target-version]').setValue('30.2');
    await wrapper.get('[data-test=confirm-downgrade]').setValue(true);
    const apply = wrapper.get<HTMLButtonElement>('[data-test=apply-version]');
    expect(apply.element.disabled).toBe(true);
    await wrapper.get('[data-test=typed-confirmation]').setValue('bitcoin-core');
    expect(apply.element.disabled).toBe(false);
  });

  it('reports a daemon without package.set-version plainly', async () => {
    const call = vi.fn().mockRejectedValue(new RpcError(-32601, "unknown method 'package.set-version'"));
    const wrapper = mountCard(call);
    await wrapper.get('[data-test=target-version]').setValue('30.2');
    await wrapper.get('[data-test=confirm-downgrade]').setValue(true);
    await wrapper.get('[data-test=apply-version]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-test=card-message]').text()).toMatch(/cannot change versions yet/);
  });

  it('reverts the auto-update switch when the daemon cannot set it', async () => {
    const call = vi.fn().mockRejectedValue(new RpcError(-32601, 'unknown method'));
    const wrapper = mountCard(call);
    const toggle = wrapper.get<HTMLInputElement>('[data-test=auto-update]');
    await toggle.setValue(true);
    await flushPromises();
    expect(call).toHaveBeenCalledWith('package.set-config', { id: 'bitcoin-core', autoUpdate: true });
    expect(toggle.element.checked).toBe(false);
    expect(wrapper.get('[data-test=card-message]').text()).toMatch(/cannot change update settings yet/);
  });

  it('keeps the Core ⇄ Knots switch a separate action with its own confirmation', async () => {
    const call = vi.fn().mockResolvedValue({});
    const wrapper = mountCard(call);
    expect(wrapper.find('[data-test=switch-warning]').exists()).toBe(false);
    await wrapper.get('[data-test=open-switch]').trigger('click');
    expect(wrapper.get('[data-test=switch-warning]').text()).toMatch(
      /Switch from Bitcoin Core to Bitcoin Knots/,
    );
    const apply = wrapper.get<HTMLButtonElement>('[data-test=apply-switch]');
    expect(apply.element.disabled).toBe(true);
    await wrapper.get('[data-test=confirm-switch]').setValue(true);
    await apply.trigger('click');
    expect(call).toHaveBeenCalledWith(
      'package.switch-implementation',
      expect.objectContaining({
        from: 'bitcoin-core',
        to: 'bitcoin-knots',
        confirmSwitch: true,
        confirmDowngrade: true,
      }),
    );
  });
});
