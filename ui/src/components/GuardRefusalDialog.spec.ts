import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { GuardRefusal } from '../lib/guard-refusal';
import GuardRefusalDialog from './GuardRefusalDialog.vue';

// The dialog a refused start or restart of a Bitcoin node opens: the refusal in full, and the
// confirmation it asks for — a yes, a yes with the app id typed, or none at all.

function mountDialog(refusal: GuardRefusal, action: 'start' | 'restart' = 'start') {
  return mount(GuardRefusalDialog, {
    props: { appId: 'bitcoin-core', appName: 'Bitcoin Core', action, refusal },
    attachTo: document.body,
  });
}

const reindex: GuardRefusal = {
  message:
    "downgrading bitcoin-core 31.0 → 29.3 needs a reindex of the chainstate (hours); confirm below. 'bitcoin-core' was not started",
  needs: 'confirmation',
  kind: 'downgrade',
  rules: ['older-release-series'],
};

describe('GuardRefusalDialog', () => {
  it('shows the refusal and confirms it with confirmDowngrade', async () => {
    const wrapper = mountDialog(reindex);
    expect(wrapper.get('h2').text()).toBe('Start Bitcoin Core anyway?');
    expect(wrapper.get('[data-test=guard-refusal]').text()).toBe(
      "Downgrading bitcoin-core 31.0 → 29.3 needs a reindex of the chainstate (hours); confirm below. 'bitcoin-core' was not started",
    );
    const confirm = wrapper.get<HTMLButtonElement>('[data-test=confirm]');
    expect(confirm.text()).toBe('Start anyway');
    expect(confirm.element.disabled).toBe(false);
    expect(wrapper.find('[data-test=confirm-text]').exists()).toBe(false);
    await confirm.trigger('click');
    expect(wrapper.emitted('confirm')).toEqual([[{ confirmDowngrade: true }]]);
    await wrapper.get('[data-test=confirm-cancel]').trigger('click');
    expect(wrapper.emitted('close')).toHaveLength(1);
    wrapper.unmount();
  });

  it('on a pruned node keeps the button disabled until the app id is typed, then sends it', async () => {
    const wrapper = mountDialog({ ...reindex, needs: 'typed-confirmation' }, 'restart');
    expect(wrapper.get('h2').text()).toBe('Restart Bitcoin Core anyway?');
    const confirm = wrapper.get<HTMLButtonElement>('[data-test=confirm]');
    expect(confirm.text()).toBe('Restart anyway');
    expect(confirm.element.disabled).toBe(true);
    await wrapper.get('[data-test=confirm-text]').setValue('bitcoin-knots');
    expect(confirm.element.disabled).toBe(true);
    await confirm.trigger('click');
    expect(wrapper.emitted('confirm')).toBeUndefined();
    await wrapper.get('[data-test=confirm-text]').setValue('bitcoin-core');
    expect(confirm.element.disabled).toBe(false);
    await confirm.trigger('click');
    expect(wrapper.emitted('confirm')).toEqual([[{ confirmDowngrade: true, confirmResync: 'bitcoin-core' }]]);
    wrapper.unmount();
  });

  it('a refusal nothing can confirm is shown with Close alone', async () => {
    const wrapper = mountDialog({
      message:
        'downgrading bitcoin-core 28.4 → 27.2 is refused: a datadir created by 28.0 or later holds a random key in ' +
        "blocks/xor.dat that 27.2 cannot read. Stay on 28.4 or another version of at least 28.0. 'bitcoin-core' was not started",
      needs: 'nothing',
      kind: 'downgrade',
      rules: ['xor-key-from-28'],
    });
    expect(wrapper.get('h2').text()).toBe('Bitcoin Core was not started');
    expect(wrapper.get('[data-test=guard-refusal]').text()).toContain('blocks/xor.dat');
    expect(wrapper.find('[data-test=confirm]').exists()).toBe(false);
    expect(wrapper.findAll('button').map((button) => button.text())).toEqual(['Close']);
    await wrapper.get('[data-test=guard-close]').trigger('click');
    expect(wrapper.emitted('close')).toHaveLength(1);
    expect(wrapper.emitted('confirm')).toBeUndefined();
    wrapper.unmount();
  });
});
