import type { ImageProgress, ImageProvenanceReport } from '@archipelago/core/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { client } from '../api/container-client';
import { DaemonSocket } from '../api/daemon-socket';
import { FakeWebSocket } from '../test/fake-socket';
import { appStatus, catalogEntry, versionInfo } from '../test/fixtures';
import { useApps } from '../stores/apps';
import { useMarketplace } from '../stores/marketplace';
import ContainerAppDetails from './ContainerAppDetails.vue';
import MarketplaceAppDetails from './MarketplaceAppDetails.vue';

// The pages wired to the stores and /ws: image-progress events reach the install dialog and the
// details page; the details page shows provenance and chain settings when the status has them.

let pinia: Pinia;
let socket: DaemonSocket;
let disconnect: () => void;
beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  FakeWebSocket.instances = [];
  // Every call the pages make is answered by a spy below; nothing reaches for a network.
  vi.stubGlobal('fetch', () => Promise.reject(new Error('a spec page made an unexpected request')));
  socket = new DaemonSocket({
    url: () => 'ws://node/ws',
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    random: () => 1,
  });
});
afterEach(() => {
  disconnect?.();
  socket.close();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  document.body.innerHTML = '';
});

const coreEntry = catalogEntry('bitcoin-core', {
  name: 'Bitcoin Core',
  version: '31.1',
  category: 'bitcoin',
  provides: ['bitcoin-node'],
  versions: [versionInfo('31.1', { default: true }), versionInfo('30.3')],
  defaultVersion: '31.1',
});
const download: ImageProgress = {
  id: 'bitcoin-core',
  version: '31.1',
  phase: 'download',
  detail: 'bitcoin-31.1-x86_64-linux-gnu.tar.gz',
  file: 'bitcoin-31.1-x86_64-linux-gnu.tar.gz',
  bytes: 50_000_000,
  total: 200_000_000,
  rateBytesPerSecond: 5_000_000,
  etaSeconds: 30,
};

async function mountAt(path: string) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { template: '<div />' } },
      { path: '/apps/:id', component: ContainerAppDetails, props: true },
      { path: '/marketplace', component: { template: '<div />' } },
      { path: '/marketplace/:id', component: MarketplaceAppDetails, props: true },
    ],
  });
  await router.push(path);
  const wrapper = mount(
    { template: '<RouterView />' },
    {
      global: { plugins: [pinia, router], stubs: { LogsViewer: true, AppResources: true } },
      attachTo: document.body,
    },
  );
  await flushPromises();
  return wrapper;
}

function followSocket(): void {
  disconnect = useApps().connectLive(socket);
  FakeWebSocket.last.open();
}

describe('install from the marketplace page', () => {
  it('sends the chain and pruning, and shows the download as the node reports it', async () => {
    let answer: (value: ReturnType<typeof appStatus>) => void = () => undefined;
    const install = vi.spyOn(client, 'install').mockReturnValue(new Promise((resolve) => (answer = resolve)));
    vi.spyOn(client, 'list').mockResolvedValue([]);
    // Once the app is installed the page fetches the catalog again (its versions moved).
    const catalog = vi.spyOn(client, 'catalog').mockResolvedValue([coreEntry]);
    const market = useMarketplace();
    market.apps = [coreEntry];
    market.loaded = true;
    useApps().loaded = true;
    followSocket();
    const wrapper = await mountAt('/marketplace/bitcoin-core');

    await wrapper.get('[data-test=open-install]').trigger('click');
    await wrapper.get('[data-test=network-testnet4]').setValue(true);
    await wrapper.get('[data-test=prune-toggle]').setValue(true);
    await wrapper.get('[data-test=prune-gb]').setValue('4');
    await wrapper.get('[data-test=install]').trigger('click');
    expect(install).toHaveBeenCalledWith('bitcoin-core', { version: '31.1', network: 'testnet4', prune: 4 });

    FakeWebSocket.last.receive({
      event: 'app-state',
      data: appStatus('bitcoin-core', { state: 'installing', health: 'starting' }),
    });
    FakeWebSocket.last.receive({
      event: 'image-progress',
      data: { ...download, phase: 'keys', detail: 'keys of 5 pinned builders' },
    });
    await flushPromises();
    expect(wrapper.get('[data-test=image-step]').text()).toBe('Fetching the builders’ signing keys');
    FakeWebSocket.last.receive({ event: 'image-progress', data: download });
    await flushPromises();
    expect(wrapper.get('[data-test=image-step]').text()).toBe('Downloading the official release');
    expect(wrapper.get('[data-test=image-amount]').text()).toBe('50.0 MB of 200 MB');
    expect(wrapper.get('[data-test=image-eta]').text()).toBe('30 s left');

    // Closed while it runs: the page's button brings the progress back.
    await wrapper.get('[data-test=cancel]').trigger('click');
    expect(wrapper.find('[data-test=image-progress]').exists()).toBe(false);
    expect(wrapper.get('[data-test=open-install]').text()).toBe('Installing…');
    await wrapper.get('[data-test=open-install]').trigger('click');
    expect(wrapper.get('[data-test=image-amount]').text()).toBe('50.0 MB of 200 MB');

    answer(appStatus('bitcoin-core', { version: '31.1', bitcoin: { network: 'testnet4', prune: 4 } }));
    await flushPromises();
    expect(wrapper.get('[data-test=installed]').text()).toContain('Bitcoin Core 31.1 is installed');
    expect(wrapper.get('[data-test=installed-chain]').text()).toBe('Chain: Testnet4, pruned to 4 GB.');
    expect(wrapper.find('[data-test=image-progress]').exists()).toBe(false);
    expect(catalog).toHaveBeenCalled();
    wrapper.unmount();
  });
});

describe('the details page of a node', () => {
  const provenance: ImageProvenanceReport = {
    builtBy: 'node',
    imageId: 'sha256:' + 'c'.repeat(64),
    reference: 'localhost/archipelago/bitcoin-core:31.1',
    builtAt: '2026-06-01T12:00:00.000Z',
    origin: {
      kind: 'release',
      implementation: 'core',
      arch: 'aarch64',
      tarball: 'bitcoin-31.1-aarch64-linux-gnu.tar.gz',
      sha256: 'e'.repeat(64),
      source: 'https://bitcoincore.org/bin/bitcoin-core-31.1/bitcoin-31.1-aarch64-linux-gnu.tar.gz',
      signers: [{ fingerprint: 'E777299FC265DD04793070EB944D35F9AC3DB76A', userId: 'fanquake' }],
      threshold: 1,
    },
    sbom: { format: 'CycloneDX 1.6 JSON', sha256: 'f'.repeat(64) },
  };

  it('shows where the image came from, the chain and pruning, and a version change’s build', async () => {
    const running = appStatus('bitcoin-core', {
      name: 'Bitcoin Core',
      version: '31.1',
      provenance,
      bitcoin: { network: 'mainnet', prune: 10 },
    });
    vi.spyOn(client, 'list').mockResolvedValue([running]);
    vi.spyOn(client, 'health').mockRejectedValue(new Error('no health'));
    vi.spyOn(client, 'catalog').mockResolvedValue([coreEntry]);
    useApps().replaceAll([running]);
    followSocket();
    const wrapper = await mountAt('/apps/bitcoin-core');

    expect(wrapper.get('[data-test=provenance-headline]').text()).toContain(
      'Built on this node from the official Bitcoin Core 31.1 release',
    );
    expect(wrapper.get('[data-test=node-network]').text()).toContain('Mainnet');
    expect(wrapper.get('[data-test=node-prune]').text()).toBe(
      'Pruned to 10 GB: keeps only the newest blocks',
    );
    // The version card knows the node is pruned: a downgrade would need the id typed.
    await wrapper.get('[data-test=target-version]').setValue('30.3');
    expect(wrapper.find('[data-test=typed-confirmation]').exists()).toBe(true);
    expect(wrapper.find('[data-test=details-image-progress]').exists()).toBe(false);

    // An update: the node builds the new version's image; the page shows it, then drops it.
    FakeWebSocket.last.receive({ event: 'app-state', data: { ...running, state: 'updating' } });
    FakeWebSocket.last.receive({
      event: 'image-progress',
      data: {
        ...download,
        version: '30.3',
        phase: 'build',
        detail: 'building localhost/archipelago/bitcoin-core:30.3',
      },
    });
    await flushPromises();
    const panel = wrapper.get('[data-test=details-image-progress]');
    expect(panel.get('h2').text()).toBe('Preparing Bitcoin Core 30.3');
    expect(panel.get('[data-test=image-step]').text()).toBe('Building the image on this node');
    FakeWebSocket.last.receive({ event: 'app-state', data: { ...running, version: '30.3' } });
    await flushPromises();
    expect(wrapper.find('[data-test=details-image-progress]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('an app the node did not build and that is no node: neither card', async () => {
    const hello = appStatus('hello');
    vi.spyOn(client, 'list').mockResolvedValue([hello]);
    vi.spyOn(client, 'health').mockRejectedValue(new Error('no health'));
    vi.spyOn(client, 'catalog').mockResolvedValue([catalogEntry('hello')]);
    useApps().replaceAll([hello]);
    const wrapper = await mountAt('/apps/hello');
    expect(wrapper.find('h1').text()).toBe('Hello');
    expect(wrapper.find('[data-test=provenance]').exists()).toBe(false);
    expect(wrapper.find('[data-test=node-settings]').exists()).toBe(false);
    wrapper.unmount();
  });
});
