import type { AppStatus, AppTorStatus } from '@archipelago/core/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RpcError } from '../api/container-client';
import { appStatus } from '../test/fixtures';
import TorCard from './TorCard.vue';

// The details page's Tor card: the app's mode and its switch (confirmed each way; off says what
// clearnet changes), its onion addresses with Copy and a QR code, and onions the user adds/removes.

const ADDRESS = `${'abcdefgh'.repeat(7)}.onion`;

const withTor = (tor: AppTorStatus): AppStatus =>
  appStatus('bitcoin-core', { name: 'Bitcoin Core', tor } as Partial<AppStatus>);

function mountCard(call: (...args: unknown[]) => Promise<unknown>, app: AppStatus, copy = vi.fn()) {
  return mount(TorCard, {
    props: { app, api: { call: call as never }, copy },
    attachTo: document.body,
  });
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('TorCard', () => {
  const onTor = withTor({
    mode: 'tor',
    default: 'tor',
    sidecar: 'running',
    clearnetEffect: 'Peers see that this IP address runs a Bitcoin node.',
    onions: [
      { name: 'electrum', port: 50001, virtualPort: 50001, source: 'manifest', address: ADDRESS },
      { name: 'port-8080', port: 8080, virtualPort: 80, source: 'user' },
    ],
  });

  it('shows the mode and each onion, with its address once Tor made it', () => {
    const wrapper = mountCard(vi.fn(), onTor);
    expect(wrapper.get('[data-test=tor-mode]').text()).toMatch(/^Through Tor/);
    const onions = wrapper.findAll('[data-test=onion]');
    expect(onions).toHaveLength(2);
    expect(onions[0]!.get('[data-test=onion-address]').text()).toBe(`${ADDRESS}:50001`);
    expect(onions[0]!.find('[data-test=onion-remove]').exists()).toBe(false);
    expect(onions[1]!.get('[data-test=onion-pending]').text()).toBe('being created…');
    expect(onions[1]!.find('[data-test=onion-remove]').exists()).toBe(true);
    wrapper.unmount();
  });

  it('copies an address and shows it as a QR code', async () => {
    const copy = vi.fn().mockResolvedValue(true);
    const wrapper = mountCard(vi.fn(), onTor, copy);
    await wrapper.get('[data-test=onion-copy]').trigger('click');
    await flushPromises();
    expect(copy).toHaveBeenCalledWith(`${ADDRESS}:50001`);
    expect(wrapper.get('[data-test=onion-copy]').text()).toBe('Copied');
    expect(wrapper.find('[data-test=qr]').exists()).toBe(false);
    await wrapper.get('[data-test=onion-qr-toggle]').trigger('click');
    const qr = wrapper.get('[data-test=qr]');
    expect(qr.attributes('aria-label')).toMatch(/onion address of Bitcoin Core, port 50001/);
    wrapper.unmount();
  });

  it('switches to clearnet only after a confirmation that says what clearnet changes', async () => {
    const call = vi.fn().mockResolvedValue({
      id: 'bitcoin-core',
      autoUpdate: false,
      tor: 'clearnet',
      message:
        "'bitcoin-core' was recreated without Tor. Peers see that this IP address runs a Bitcoin node.",
    });
    const wrapper = mountCard(call, onTor);
    await wrapper.get('[data-test=tor-off]').trigger('click');
    expect(call).not.toHaveBeenCalled();
    const dialog = wrapper.get('[data-test=tor-off-dialog]');
    expect(dialog.get('[data-test=clearnet-effect]').text()).toBe(
      'Peers see that this IP address runs a Bitcoin node.',
    );
    await dialog.get('[data-test=confirm]').trigger('click');
    await flushPromises();
    expect(call).toHaveBeenCalledWith('package.set-config', { id: 'bitcoin-core', tor: 'clearnet' });
    expect(wrapper.get('[data-test=tor-message]').text()).toMatch(/recreated without Tor/);
    expect(wrapper.emitted('changed')).toHaveLength(1);
    wrapper.unmount();
  });

  it('turns Tor back on after a confirmation, and says a generic effect when the app names none', async () => {
    const call = vi.fn().mockResolvedValue({ id: 'bitcoin-core', autoUpdate: false, tor: 'tor' });
    const wrapper = mountCard(call, withTor({ mode: 'clearnet', default: 'tor', onions: [] }));
    expect(wrapper.get('[data-test=tor-mode]').text()).toMatch(/Tor is off for this app/);
    await wrapper.get('[data-test=tor-on]').trigger('click');
    await wrapper.get('[data-test=tor-on-dialog] [data-test=confirm]').trigger('click');
    await flushPromises();
    expect(call).toHaveBeenCalledWith('package.set-config', { id: 'bitcoin-core', tor: 'tor' });
    expect(wrapper.get('[data-test=tor-message]').text()).toBe('Tor is on.');
    wrapper.unmount();
  });

  it('adds an onion for a port, refusing a port out of range, and removes one', async () => {
    const call = vi.fn().mockImplementation(async (method: string) =>
      method === 'tor.onion-add'
        ? {
            id: 'hello',
            tor: {
              mode: 'clearnet',
              default: 'clearnet',
              onions: [{ name: 'port-8080', port: 8080, virtualPort: 80, source: 'user', address: ADDRESS }],
            },
          }
        : { id: 'hello' },
    );
    const wrapper = mountCard(call, appStatus('hello'));
    expect(wrapper.find('[data-test=tor-mode]').exists()).toBe(false);
    expect(wrapper.get('[data-test=no-onions]').text()).toMatch(/None yet/);
    const add = wrapper.get<HTMLButtonElement>('[data-test=onion-add]');
    await wrapper.get('[data-test=onion-port]').setValue('70000');
    expect(add.element.disabled).toBe(true);
    await wrapper.get('[data-test=onion-port]').setValue('8080');
    await wrapper.get('[data-test=onion-virtual-port]').setValue('80');
    expect(add.element.disabled).toBe(false);
    await wrapper.get('[data-test=onion-add-form]').trigger('submit');
    await flushPromises();
    expect(call).toHaveBeenCalledWith('tor.onion-add', { id: 'hello', port: 8080, virtualPort: 80 });
    expect(wrapper.get('[data-test=tor-message]').text()).toBe(`Port 8080 is reachable at ${ADDRESS}:80.`);

    await wrapper.setProps({
      app: withTor({
        mode: 'clearnet',
        default: 'clearnet',
        onions: [{ name: 'port-8080', port: 8080, virtualPort: 80, source: 'user', address: ADDRESS }],
      }),
    });
    await wrapper.get('[data-test=onion-remove]').trigger('click');
    await flushPromises();
    expect(call).toHaveBeenLastCalledWith('tor.onion-remove', { id: 'bitcoin-core', port: 8080 });
    wrapper.unmount();
  });

  it('shows the daemon’s refusal', async () => {
    const call = vi
      .fn()
      .mockRejectedValue(new RpcError(-32001, "'hello' already has an onion for port 8080", undefined));
    const wrapper = mountCard(call, appStatus('hello'));
    await wrapper.get('[data-test=onion-port]').setValue('8080');
    await wrapper.get('[data-test=onion-add-form]').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-test=tor-failure]').text()).toMatch(/already has an onion for port 8080/);
    wrapper.unmount();
  });
});
