import type { AppGrants } from '@archipelago/core/contract';
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import AppGrantsCard from './AppGrantsCard.vue';
import ImportedBadge from './ImportedBadge.vue';

// An imported app (converted from Umbrel or Parmanode): the badge on its card and details page,
// and what it was granted, as the install showed it before the user confirmed.

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const grants: AppGrants = {
  app: 'btcpay',
  origin: { kind: 'umbrel', app: 'btcpay-server', upstreamVersion: '2.0.6', source: 'getumbrel/umbrel-apps' },
  services: [
    {
      service: 'web',
      image: `ghcr.io/btcpay/web:2.0.6@${DIGEST}`,
      trust: 'digest',
      user: '1000:1000',
      capabilities: ['NET_BIND_SERVICE'],
      ports: [{ host: 3003, container: 3000, protocol: 'tcp', expose: 'lan' }],
      volumes: [{ name: 'data', mount: '/data', readOnly: false }],
    },
    {
      service: 'db',
      image: 'postgres:15',
      trust: 'signature',
      capabilities: [],
      ports: [{ host: 5433, container: 5432, protocol: 'tcp', expose: 'local' }],
      volumes: [{ name: 'db', mount: '/var/lib/postgresql', readOnly: true }],
    },
  ],
  dependencies: [
    {
      requested: 'bitcoin-node',
      interface: 'bitcoin-node',
      provider: 'bitcoin-core',
      handsOver: ['its own RPC login (archy-btcpay)', 'every RPC method', 'ZMQ rawblock, rawtx'],
    },
    { requested: 'lightning-node', interface: 'lightning-node', handsOver: [] },
  ],
  secrets: ['app-password', 'app-seed'],
};

describe('ImportedBadge', () => {
  it('says where the app came from, its upstream version, and that the catalog did not sign it', () => {
    const wrapper = mount(ImportedBadge, { props: { origin: grants.origin! } });
    const badge = wrapper.get('[data-test=imported-badge]');
    expect(badge.text()).toBe('Imported from Umbrel · upstream 2.0.6 · not signed by the catalog');
    expect(badge.attributes('title')).toContain('Umbrel app “btcpay-server” (getumbrel/umbrel-apps)');
  });

  it('names Parmanode for a Parmanode import', () => {
    const wrapper = mount(ImportedBadge, {
      props: { origin: { kind: 'parmanode', app: 'electrs', upstreamVersion: '0.10.5' } },
    });
    expect(wrapper.text()).toBe('Imported from Parmanode · upstream 0.10.5 · not signed by the catalog');
  });
});

describe('AppGrantsCard', () => {
  it('lists each service with its image trust, user, capabilities, ports (LAN or local) and volumes', () => {
    const wrapper = mount(AppGrantsCard, { props: { grants } });
    const services = wrapper.findAll('[data-test=grant-service]');
    expect(services).toHaveLength(2);
    expect(services[0]!.text()).toContain(`ghcr.io/btcpay/web:2.0.6@${DIGEST}`);
    expect(services[0]!.get('[data-test=grant-trust]').text()).toBe(
      'pinned by digest, not signed by the catalog',
    );
    expect(services[0]!.get('[data-test=grant-trust]').classes()).toContain('warn');
    expect(services[0]!.text()).toContain('runs as 1000:1000; adds NET_BIND_SERVICE');
    expect(services[0]!.get('[data-test=grant-port]').text()).toBe(
      'Host port 3003/tcp → 3000 open to the LAN',
    );
    expect(services[0]!.text()).toContain('Keeps data in “data” at /data');
    expect(services[1]!.get('[data-test=grant-trust]').text()).toBe('signature checked');
    expect(services[1]!.text()).toContain("runs as the image's own user (never root); no added capabilities");
    expect(services[1]!.get('[data-test=grant-port]').text()).toContain('this machine only');
    expect(services[1]!.text()).toContain('(read-only)');
  });

  it('lists each dependency with its provider and what it hands over, and the generated secrets', () => {
    const wrapper = mount(AppGrantsCard, { props: { grants } });
    const dependencies = wrapper.findAll('[data-test=grant-dependency]');
    expect(dependencies[0]!.text()).toContain('bitcoin-node from bitcoin-core');
    expect(dependencies[0]!.findAll('li').map((li) => li.text())).toEqual([
      'its own RPC login (archy-btcpay)',
      'every RPC method',
      'ZMQ rawblock, rawtx',
    ]);
    expect(dependencies[1]!.text()).toBe('lightning-node from a provider still to be chosen');
    expect(wrapper.findAll('[data-test=grant-secret]').map((li) => li.text())).toEqual([
      'A password the node generated for it',
      'A seed the node generated for it',
    ]);
  });
});
