import type { RemoteAccessStatus } from '@archipelago/core/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { RpcError } from '../api/container-client';
import { encodeQr, qrPath } from '../lib/qr-code';
import RemoteAccessCard from './RemoteAccessCard.vue';

// The settings card for remote access over Tor: it shows the state, turns it on and off through
// `web.remote-access`, shows the onion URL with its QR code, and says what turning it on exposes.
// The daemon's own answers are tested in core; here a stand-in answers like it.

const URL = `http://${'a'.repeat(56)}.onion/`;
const OFF: RemoteAccessStatus = { enabled: false, state: 'off' };
const ON: RemoteAccessStatus = { enabled: true, state: 'running', url: URL };

// The stand-in answers with the state the test sets (turning on or off sets it, as the daemon
// would), never by the order of calls: the card asks again on a timer while Tor makes the address,
// and under load a tick may come between two steps of a test.
function mountCard(initial: RemoteAccessStatus) {
  const node = { state: initial };
  const call = vi.fn(async (_method: string, params: { enabled?: boolean }) => {
    if (params.enabled === true) node.state = ON;
    if (params.enabled === false) node.state = OFF;
    return node.state;
  });
  const copy = vi.fn(async (_text: string) => true);
  const wrapper = mount(RemoteAccessCard, { props: { api: { call } as never, copy, pollMs: 5 } });
  return { wrapper, call, copy, node };
}

describe('RemoteAccessCard', () => {
  it('shows off with the warning, and turning on shows the URL and its QR code', async () => {
    const { wrapper, call, copy } = mountCard(OFF);
    await flushPromises();
    expect(call).toHaveBeenCalledWith('web.remote-access', {});
    expect(wrapper.get('[data-test=remote-access-state]').text()).toBe('Off');
    expect(wrapper.get('[data-test=remote-access-warning]').text()).toMatch(
      /Anyone who learns the address reaches the login page/,
    );
    expect(wrapper.find('[data-test=qr]').exists()).toBe(false);

    await wrapper.get('[data-test=remote-access-on]').trigger('click');
    await flushPromises();
    expect(call).toHaveBeenLastCalledWith('web.remote-access', { enabled: true });
    expect(wrapper.get('[data-test=remote-access-state]').text()).toBe('On');
    expect(wrapper.get('[data-test=remote-access-url]').text()).toContain(URL);
    // The code encodes exactly the URL.
    expect(wrapper.get('[data-test=qr] path').attributes('d')).toBe(qrPath(encodeQr(URL, { level: 'M' }), 4));
    await wrapper.get('[data-test=remote-access-copy]').trigger('click');
    expect(copy).toHaveBeenCalledWith(URL);

    await wrapper.get('[data-test=remote-access-off]').trigger('click');
    await flushPromises();
    expect(call).toHaveBeenLastCalledWith('web.remote-access', { enabled: false });
    expect(wrapper.get('[data-test=remote-access-state]').text()).toBe('Off');
  });

  it('asks again while Tor is making the address, then shows it', async () => {
    const { wrapper, call, node } = mountCard({ enabled: true, state: 'starting' });
    await flushPromises();
    expect(wrapper.get('[data-test=remote-access-state]').text()).toContain('making the address');
    node.state = ON;
    await vi.waitFor(() => expect(wrapper.find('[data-test=qr]').exists()).toBe(true));
    expect(call.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it("shows the daemon's refusal in its own words", async () => {
    const call = vi.fn(async () => {
      throw new RpcError(-32005, 'Tor is not installed on this node: run sudo apt-get install tor');
    });
    const wrapper = mount(RemoteAccessCard, { props: { api: { call } as never } });
    await flushPromises();
    expect(wrapper.get('[data-test=remote-access-error]').text()).toMatch(/apt-get install tor/);
  });
});
