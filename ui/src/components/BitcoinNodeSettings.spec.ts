import type { AppStatus, BitcoinSettings } from '@archipelago/core/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RpcError } from '../api/container-client';
import { appStatus } from '../test/fixtures';
import BitcoinNodeSettings from './BitcoinNodeSettings.vue';

// The details page's Chain & pruning card: the chain as installed, pruning on / resized at will,
// and off only after the user typed the app id, since the node then downloads the whole chain.

type Node = AppStatus & { bitcoin: BitcoinSettings };
const node = (bitcoin: BitcoinSettings): Node =>
  appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '31.1', bitcoin }) as Node;

function mountCard(call: (...args: unknown[]) => Promise<unknown>, app: Node) {
  return mount(BitcoinNodeSettings, {
    props: { app, api: { call: call as never } },
    attachTo: document.body,
  });
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('BitcoinNodeSettings', () => {
  it('shows the chain and that every block is kept; nothing to apply until something changes', () => {
    const wrapper = mountCard(vi.fn(), node({ network: 'testnet4' }));
    expect(wrapper.get('[data-test=node-network]').text()).toMatch(
      /^Testnet4.*coins are worthless.*Fixed for this node's data/,
    );
    expect(wrapper.get('[data-test=node-prune]').text()).toBe('Off: keeps every block');
    expect(wrapper.get<HTMLInputElement>('[data-test=prune-enabled]').element.checked).toBe(false);
    expect(wrapper.get<HTMLButtonElement>('[data-test=apply-prune]').element.disabled).toBe(true);
    wrapper.unmount();
  });

  it('turns pruning on after a confirmation, and shows what the daemon did', async () => {
    const call = vi.fn().mockResolvedValue({
      id: 'bitcoin-core',
      autoUpdate: false,
      prune: 10,
      message: 'restarted with -prune=9536 (10 GB): older block files are deleted as the node runs',
    });
    const wrapper = mountCard(call, node({ network: 'mainnet' }));
    await wrapper.get('[data-test=prune-enabled]').setValue(true);
    expect(wrapper.get<HTMLInputElement>('[data-test=prune-size]').element.value).toBe('10');
    const apply = wrapper.get<HTMLButtonElement>('[data-test=apply-prune]');
    expect(apply.text()).toBe('Turn pruning on…');
    await apply.trigger('click');
    expect(call).not.toHaveBeenCalled();
    const dialog = wrapper.get('[data-test=prune-on-dialog]');
    expect(dialog.text()).toMatch(/deletes all but the newest 10 GB of blocks/);
    await dialog.get('[data-test=confirm]').trigger('click');
    await flushPromises();
    expect(call).toHaveBeenCalledWith('package.set-config', { id: 'bitcoin-core', prune: 10 });
    expect(wrapper.find('[data-test=prune-on-dialog]').exists()).toBe(false);
    expect(wrapper.get('[data-test=prune-message]').text()).toBe(
      'Restarted with -prune=9536 (10 GB): older block files are deleted as the node runs.',
    );
    expect(wrapper.get('[data-test=node-prune]').text()).toBe(
      'Pruned to 10 GB: keeps only the newest blocks',
    );
    expect(wrapper.emitted('changed')).toHaveLength(1);
    wrapper.unmount();
  });

  it('resizes a pruned node at once (a restart), refusing a size below the minimum', async () => {
    const call = vi.fn().mockResolvedValue({ id: 'bitcoin-core', autoUpdate: false, prune: 20 });
    const wrapper = mountCard(call, node({ network: 'mainnet', prune: 10 }));
    const size = wrapper.get<HTMLInputElement>('[data-test=prune-size]');
    expect(size.element.value).toBe('10');
    await size.setValue('0');
    expect(wrapper.get<HTMLButtonElement>('[data-test=apply-prune]').element.disabled).toBe(true);
    expect(size.attributes('aria-invalid')).toBe('true');
    await size.setValue('20');
    const apply = wrapper.get<HTMLButtonElement>('[data-test=apply-prune]');
    expect(apply.text()).toBe('Apply (restarts the node)');
    await apply.trigger('click');
    await flushPromises();
    expect(call).toHaveBeenCalledWith('package.set-config', { id: 'bitcoin-core', prune: 20 });
    expect(wrapper.get('[data-test=prune-message]').text()).toBe('Pruning to 20 GB.');
    wrapper.unmount();
  });

  it('turns pruning off only once the app id is typed, sending it as confirmResync', async () => {
    const call = vi.fn().mockResolvedValue({
      id: 'bitcoin-core',
      autoUpdate: false,
      message:
        'restarted without pruning, with a one-time -reindex: the node downloads and verifies every block again',
    });
    const wrapper = mountCard(call, node({ network: 'mainnet', prune: 10 }));
    await wrapper.get('[data-test=prune-enabled]').setValue(false);
    const apply = wrapper.get<HTMLButtonElement>('[data-test=apply-prune]');
    expect(apply.text()).toBe('Turn pruning off…');
    expect(apply.classes()).toContain('danger');
    await apply.trigger('click');

    const dialog = wrapper.get('[data-test=prune-off-dialog]');
    expect(dialog.text()).toMatch(/download and verify the whole chain again/);
    const confirm = dialog.get<HTMLButtonElement>('[data-test=confirm]');
    expect(confirm.element.disabled).toBe(true);
    await dialog.get('[data-test=confirm-text]').setValue('bitcoin-knots');
    expect(confirm.element.disabled).toBe(true);
    await dialog.get('[data-test=confirm-text]').setValue('bitcoin-core');
    expect(confirm.element.disabled).toBe(false);
    await confirm.trigger('click');
    await flushPromises();

    expect(call).toHaveBeenCalledWith('package.set-config', {
      id: 'bitcoin-core',
      prune: 0,
      confirmResync: 'bitcoin-core',
    });
    expect(wrapper.get('[data-test=prune-message]').text()).toBe(
      'Restarted without pruning, with a one-time -reindex: the node downloads and verifies every block again.',
    );
    expect(wrapper.get('[data-test=node-prune]').text()).toBe('Off: keeps every block');
    wrapper.unmount();
  });

  it('cancelling the dialog sends nothing; a refusal is shown in the daemon’s words', async () => {
    const call = vi
      .fn()
      .mockRejectedValue(
        new RpcError(-32003, "turning pruning off on 'bitcoin-core' means downloading … again"),
      );
    const wrapper = mountCard(call, node({ network: 'mainnet', prune: 10 }));
    await wrapper.get('[data-test=prune-enabled]').setValue(false);
    await wrapper.get('[data-test=apply-prune]').trigger('click');
    await wrapper.get('[data-test=prune-off-dialog] [data-test=confirm-cancel]').trigger('click');
    expect(wrapper.find('[data-test=prune-off-dialog]').exists()).toBe(false);
    expect(call).not.toHaveBeenCalled();

    await wrapper.get('[data-test=apply-prune]').trigger('click');
    await wrapper.get('[data-test=confirm-text]').setValue('bitcoin-core');
    await wrapper.get('[data-test=confirm]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-test=prune-failure]').text()).toMatch(/means downloading … again/);
    expect(wrapper.get('[data-test=node-prune]').text()).toBe(
      'Pruned to 10 GB: keeps only the newest blocks',
    );
    wrapper.unmount();
  });

  it('follows the status when the setting changes elsewhere (the CLI, another browser)', async () => {
    const wrapper = mountCard(vi.fn(), node({ network: 'mainnet' }));
    await wrapper.setProps({ app: node({ network: 'mainnet', prune: 50 }) });
    expect(wrapper.get('[data-test=node-prune]').text()).toBe(
      'Pruned to 50 GB: keeps only the newest blocks',
    );
    expect(wrapper.get<HTMLInputElement>('[data-test=prune-enabled]').element.checked).toBe(true);
    expect(wrapper.get<HTMLInputElement>('[data-test=prune-size]').element.value).toBe('50');
    wrapper.unmount();
  });
});
