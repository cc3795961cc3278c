import type { ConnectionInfo } from '@archipelago/core/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { RpcError } from '../api/container-client';
import { encodeQr, qrPath } from '../lib/qr-code';
import ConnectionDetails from './ConnectionDetails.vue';

// The details page's "How to connect": endpoints, masked credentials revealed on request (a second
// call with reveal: true), one-click copy, and a Lightning node's lndconnect URI as a QR code.

const MACAROON = '0201036c6e6402f801030a10'.repeat(4);
const LNDCONNECT = `lndconnect://192.168.1.20:10009?cert=MIICJzCCAc2gAwIBAgIRAK&macaroon=${MACAROON}`;

/** What a daemon answers (a spec's stand-in for it: the daemon's own answer is tested in core). */
function answer(params: { reveal?: boolean; host?: string }): ConnectionInfo {
  const host = params.host ?? '10.0.0.1';
  const reveal = params.reveal === true;
  return {
    id: 'lnd',
    host,
    interfaces: [
      {
        name: 'lightning-node',
        endpoints: [
          { name: 'gRPC', url: `${host}:10009` },
          { name: 'REST', url: `https://${host}:8080` },
        ],
        credentials: [
          { name: 'TLS certificate', secret: false, value: '-----BEGIN CERTIFICATE-----\nMIIC…' },
          { name: 'Macaroon (hex)', secret: true, ...(reveal && { value: MACAROON }) },
        ],
        ...(reveal && { uri: LNDCONNECT }),
      },
    ],
  };
}

function mountDetails(call = vi.fn(async (_method: string, params: object) => answer(params))) {
  const copy = vi.fn(async (_text: string) => true);
  const wrapper = mount(ConnectionDetails, {
    props: { appId: 'lnd', appName: 'LND', host: '192.168.1.20', api: { call } as never, copy },
  });
  return { wrapper, call, copy };
}

describe('ConnectionDetails', () => {
  it('lists endpoints and credentials, secrets masked, for the host the page was opened at', async () => {
    const { wrapper, call } = mountDetails();
    await flushPromises();
    expect(call).toHaveBeenCalledWith('package.connection-info', { id: 'lnd', host: '192.168.1.20' });
    expect(wrapper.findAll('[data-test=endpoint]').map((e) => e.text())).toEqual([
      '192.168.1.20:10009',
      'https://192.168.1.20:8080',
    ]);
    expect(wrapper.get('[data-test=credential]').text()).toContain('BEGIN CERTIFICATE');
    expect(wrapper.get('[data-test=credential-masked]').text()).toBe('••••••••');
    expect(wrapper.text()).not.toContain(MACAROON);
    // The URI holds the macaroon: no QR code until revealed, and the panel says how to get one.
    expect(wrapper.find('[data-test=qr]').exists()).toBe(false);
    expect(wrapper.get('[data-test=uri-hint]').text()).toContain('Reveal secrets');
  });

  it('reveals on request (a second call with reveal: true) and shows the lndconnect QR code', async () => {
    const { wrapper, call } = mountDetails();
    await flushPromises();
    const reveal = wrapper.get('[data-test=reveal]');
    expect(reveal.attributes('aria-pressed')).toBe('false');
    await reveal.trigger('click');
    await flushPromises();
    expect(call).toHaveBeenLastCalledWith('package.connection-info', {
      id: 'lnd',
      reveal: true,
      host: '192.168.1.20',
    });
    expect(wrapper.findAll('[data-test=credential]').map((e) => e.text())).toContain(MACAROON);
    const qr = wrapper.get('[data-test=qr]');
    expect(qr.attributes('role')).toBe('img');
    expect(qr.attributes('aria-label')).toBe("QR code to connect a wallet to LND's Lightning node");
    // The very symbol of the URI (byte mode, level L): the encoder itself is checked in qr-code.spec.
    expect(qr.get('path').attributes('d')).toBe(qrPath(encodeQr(LNDCONNECT, { level: 'L' })));

    await wrapper.get('[data-test=reveal]').trigger('click');
    await flushPromises();
    expect(call).toHaveBeenLastCalledWith('package.connection-info', { id: 'lnd', host: '192.168.1.20' });
    expect(wrapper.text()).not.toContain(MACAROON);
    expect(wrapper.find('[data-test=qr]').exists()).toBe(false);
  });

  it('copies with one click: an endpoint as shown, a masked secret fetched revealed yet never shown', async () => {
    const { wrapper, call, copy } = mountDetails();
    await flushPromises();
    const buttons = wrapper.findAll('[data-test=copy]');
    await buttons[1]!.trigger('click'); // REST
    await flushPromises();
    expect(copy).toHaveBeenLastCalledWith('https://192.168.1.20:8080');
    expect(buttons[1]!.text()).toBe('Copied');
    expect(wrapper.get('[role=status]').text()).toBe('Copied to the clipboard');

    await buttons[3]!.trigger('click'); // the macaroon, masked
    await flushPromises();
    expect(call).toHaveBeenLastCalledWith('package.connection-info', {
      id: 'lnd',
      reveal: true,
      host: '192.168.1.20',
    });
    expect(copy).toHaveBeenLastCalledWith(MACAROON);
    expect(wrapper.text()).not.toContain(MACAROON);
    expect(wrapper.find('[data-test=credential-masked]').exists()).toBe(true);

    await wrapper.get('[data-test=reveal]').trigger('click');
    await flushPromises();
    await wrapper.get('[data-test=copy-uri]').trigger('click');
    await flushPromises();
    expect(copy).toHaveBeenLastCalledWith(LNDCONNECT);
  });

  it('says so when the browser refused to copy', async () => {
    const { wrapper, copy } = mountDetails();
    copy.mockResolvedValue(false);
    await flushPromises();
    await wrapper.get('[data-test=copy]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-test=connection-error]').text()).toContain(
      'select the text and copy it yourself',
    );
  });

  it("shows an app's web login, its password masked until revealed", async () => {
    const login = (params: { reveal?: boolean }): ConnectionInfo => ({
      id: 'shop',
      host: 'x',
      interfaces: [
        {
          name: 'web-login',
          endpoints: [],
          credentials: [
            { name: 'Username', secret: false, value: 'umbrel' },
            { name: 'Password', secret: true, ...(params.reveal === true && { value: 'p4ssw0rd' }) },
          ],
        },
      ],
    });
    const { wrapper } = mountDetails(vi.fn(async (_method: string, params: object) => login(params)));
    await flushPromises();
    expect(wrapper.get('[data-interface=web-login] h3').text()).toBe('Web login');
    expect(wrapper.get('[data-test=credential]').text()).toBe('umbrel');
    expect(wrapper.text()).not.toContain('p4ssw0rd');
    await wrapper.get('[data-test=reveal]').trigger('click');
    await flushPromises();
    expect(wrapper.findAll('[data-test=credential]').map((e) => e.text())).toEqual(['umbrel', 'p4ssw0rd']);
  });

  it('stays away for an app with nothing to connect to, and for a daemon without the method', async () => {
    const none = mountDetails(vi.fn(async () => ({ id: 'lnd', host: 'x', interfaces: [] })));
    await flushPromises();
    expect(none.wrapper.find('[data-test=connection]').exists()).toBe(false);

    const old = mountDetails(
      vi.fn(async () => {
        throw new RpcError(-32601, "method 'package.connection-info' not found");
      }),
    );
    await flushPromises();
    expect(old.wrapper.find('[data-test=connection]').exists()).toBe(false);
  });

  it("shows the daemon's words when it refuses", async () => {
    const { wrapper } = mountDetails(
      vi.fn(async () => {
        throw new RpcError(-32004, "'lnd' is not installed");
      }),
    );
    await flushPromises();
    expect(wrapper.get('[data-test=connection-error]').text()).toBe(
      "Could not read how to connect: 'lnd' is not installed",
    );
  });

  it('asks again, secrets hidden, when the app changes (refreshKey)', async () => {
    const { wrapper, call } = mountDetails();
    await flushPromises();
    await wrapper.get('[data-test=reveal]').trigger('click');
    await flushPromises();
    await wrapper.setProps({ refreshKey: '0.19.0' });
    await flushPromises();
    expect(call).toHaveBeenCalledTimes(3);
    expect(call).toHaveBeenLastCalledWith('package.connection-info', { id: 'lnd', host: '192.168.1.20' });
    expect(wrapper.get('[data-test=reveal]').text()).toBe('Reveal secrets');
  });
});
