import type { ImageProgress, ImageProvenanceReport } from '@archipelago/core/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { client, RpcError } from '../api/container-client';
import { DaemonSocket } from '../api/daemon-socket';
import { FakeWebSocket } from '../test/fake-socket';
import { appStatus, catalogEntry, versionInfo, versionPlan } from '../test/fixtures';
import { useApps } from '../stores/apps';
import { useMarketplace } from '../stores/marketplace';
import { useToasts } from '../stores/toasts';
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
/** The install dialog asks the daemon for its plan: Core alone, at the version asked for. */
function plansCoreAlone(): void {
  const original = client.call.bind(client);
  vi.spyOn(client, 'call').mockImplementation(((method: string, params: { version?: string }) => {
    if (method !== 'package.plan-install') return original(method as never, params as never);
    const step = {
      app: 'bitcoin-core',
      name: 'Bitcoin Core',
      version: params.version ?? '31.1',
      why: 'requested',
    };
    return Promise.resolve({
      id: 'bitcoin-core',
      steps: [
        { ...step, action: 'install' },
        { ...step, action: 'start' },
      ],
      choices: [],
      credentials: [],
      ready: true,
    });
  }) as typeof client.call);
}

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
    plansCoreAlone();
    const wrapper = await mountAt('/marketplace/bitcoin-core');

    await wrapper.get('[data-test=open-install]').trigger('click');
    await flushPromises();
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
    // The version card asks the daemon's plan: for this pruned node, a downgrade needs the id typed.
    const plan = vi.spyOn(client, 'call').mockResolvedValue(
      versionPlan({
        from: { id: 'bitcoin-core', version: '31.1', display: '31.1' },
        needs: 'typed-confirmation',
        typedText: 'bitcoin-core',
        confirm: { confirmDowngrade: true, confirmResync: 'bitcoin-core' },
      }),
    );
    await wrapper.get('[data-test=target-version]').setValue('30.3');
    await flushPromises();
    expect(plan).toHaveBeenCalledWith('package.plan-version-change', {
      op: 'set-version',
      id: 'bitcoin-core',
      version: '30.3',
    });
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

describe('the details page of an app of several services that provides an interface', () => {
  it('shows its services and how to connect, with the lndconnect QR code once revealed', async () => {
    const lnd = appStatus('lnd', {
      name: 'LND',
      services: [
        {
          name: 'lnd',
          main: true,
          containerName: 'archy-lnd',
          image: '127.0.0.1:5000/archy-test/lightning-double:1',
          state: 'running',
          health: 'healthy',
          ports: [{ container: 10009, host: 10009, protocol: 'tcp' }],
        },
        {
          name: 'web',
          main: false,
          containerName: 'archy-lnd_web',
          image: '127.0.0.1:5000/archy-test/web:1',
          state: 'running',
          health: 'none',
          ports: [],
        },
      ],
    });
    vi.spyOn(client, 'list').mockResolvedValue([lnd]);
    vi.spyOn(client, 'health').mockRejectedValue(new Error('no health'));
    vi.spyOn(client, 'catalog').mockResolvedValue([catalogEntry('lnd', { provides: ['lightning-node'] })]);
    const call = vi.spyOn(client, 'call').mockImplementation(async (method, params) => {
      if (method !== 'package.connection-info') throw new Error(`unexpected ${method}`);
      const reveal = (params as { reveal?: boolean }).reveal === true;
      return {
        id: 'lnd',
        host: 'localhost',
        interfaces: [
          {
            name: 'lightning-node',
            endpoints: [{ name: 'gRPC', url: 'localhost:10009' }],
            credentials: [{ name: 'Macaroon (hex)', secret: true, ...(reveal && { value: '0201' }) }],
            ...(reveal && { uri: 'lndconnect://localhost:10009?macaroon=AgE' }),
          },
        ],
      };
    });
    useApps().replaceAll([lnd]);
    const wrapper = await mountAt('/apps/lnd');
    expect(wrapper.findAll('[data-test=service-row]').map((row) => row.attributes('data-service'))).toEqual([
      'lnd',
      'web',
    ]);
    // The page passes the host it was opened at, so the URLs name an address this browser reached.
    expect(call).toHaveBeenCalledWith('package.connection-info', {
      id: 'lnd',
      host: window.location.hostname,
    });
    expect(wrapper.get('[data-test=endpoint]').text()).toBe('localhost:10009');
    expect(wrapper.find('[data-test=qr]').exists()).toBe(false);
    await wrapper.get('[data-test=reveal]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-test=qr]').attributes('aria-label')).toContain("LND's Lightning node");
    wrapper.unmount();
  });

  it('shows no services table for a single-container app', async () => {
    const hello = appStatus('hello', {
      services: [
        {
          name: 'main',
          main: true,
          containerName: 'archy-hello',
          image: 'x',
          state: 'running',
          health: 'none',
          ports: [],
        },
      ],
    });
    vi.spyOn(client, 'list').mockResolvedValue([hello]);
    vi.spyOn(client, 'health').mockRejectedValue(new Error('no health'));
    vi.spyOn(client, 'catalog').mockResolvedValue([catalogEntry('hello')]);
    vi.spyOn(client, 'call').mockResolvedValue({ id: 'hello', host: 'localhost', interfaces: [] });
    useApps().replaceAll([hello]);
    const wrapper = await mountAt('/apps/hello');
    expect(wrapper.find('[data-test=services]').exists()).toBe(false);
    expect(wrapper.find('[data-test=connection]').exists()).toBe(false);
    wrapper.unmount();
  });
});

describe('a start or restart the Bitcoin version guard refuses', () => {
  const refusedWith = (needs: string, action: 'started' | 'restarted') =>
    new RpcError(
      -32003,
      `downgrading bitcoin-core 31.0 → 29.3 needs a reindex of the chainstate (hours); confirm with --confirm-downgrade. 'bitcoin-core' was not ${action}`,
      { guard: { kind: 'downgrade', needs, rules: ['older-release-series'] } },
    );

  async function detailsOf(status: ReturnType<typeof appStatus>) {
    vi.spyOn(client, 'health').mockRejectedValue(new Error('no health'));
    vi.spyOn(client, 'catalog').mockResolvedValue([coreEntry]);
    useApps().replaceAll([status]);
    return mountAt('/apps/bitcoin-core');
  }

  it('shows the refusal in a dialog, not a toast, and its confirm starts the node with confirmDowngrade', async () => {
    const start = vi
      .spyOn(client, 'start')
      .mockRejectedValueOnce(refusedWith('confirmation', 'started'))
      .mockResolvedValueOnce(
        appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '29.3', state: 'starting' }),
      );
    const wrapper = await detailsOf(
      appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '29.3', state: 'stopped', health: 'none' }),
    );
    await wrapper.get('[data-test=start]').trigger('click');
    await flushPromises();
    expect(start).toHaveBeenLastCalledWith('bitcoin-core', undefined);
    expect(useToasts().items).toEqual([]);
    expect(wrapper.get('[data-test=guard-refusal]').text()).toBe(
      "Downgrading bitcoin-core 31.0 → 29.3 needs a reindex of the chainstate (hours); confirm below. 'bitcoin-core' was not started",
    );

    await wrapper.get('[data-test=confirm]').trigger('click');
    await flushPromises();
    expect(start).toHaveBeenCalledTimes(2);
    expect(start).toHaveBeenLastCalledWith('bitcoin-core', { confirmDowngrade: true });
    expect(wrapper.find('[data-test=guard-refusal]').exists()).toBe(false);
    expect(useApps().byId['bitcoin-core']?.state).toBe('starting');
    wrapper.unmount();
  });

  it('a pruned node’s restart asks for the id typed and sends it as confirmResync', async () => {
    const restart = vi
      .spyOn(client, 'restart')
      .mockRejectedValueOnce(refusedWith('typed-confirmation', 'restarted'))
      .mockResolvedValueOnce(appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '29.3' }));
    const wrapper = await detailsOf(appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '29.3' }));
    await wrapper.get('[data-test=restart]').trigger('click');
    await wrapper.get('[data-test=confirm]').trigger('click');
    await flushPromises();
    expect(restart).toHaveBeenCalledTimes(1);
    // The restart's own question gave way to the refusal's.
    expect(wrapper.findAll('dialog')).toHaveLength(1);
    expect(wrapper.get('dialog h2').text()).toBe('Restart Bitcoin Core anyway?');
    const confirm = wrapper.get<HTMLButtonElement>('[data-test=confirm]');
    expect(confirm.element.disabled).toBe(true);
    await wrapper.get('[data-test=confirm-text]').setValue('bitcoin-core');
    await confirm.trigger('click');
    await flushPromises();
    expect(restart).toHaveBeenLastCalledWith('bitcoin-core', {
      confirmDowngrade: true,
      confirmResync: 'bitcoin-core',
    });
    expect(wrapper.find('[data-test=guard-refusal]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('a refusal nothing can confirm is shown with no retry; another failure is still a toast', async () => {
    const start = vi
      .spyOn(client, 'start')
      .mockRejectedValueOnce(
        new RpcError(
          -32003,
          "downgrading bitcoin-core 28.4 → 27.2 is refused: blocks/xor.dat. 'bitcoin-core' was not started",
          {
            guard: { kind: 'downgrade', needs: 'nothing', rules: ['xor-key-from-28'] },
          },
        ),
      )
      .mockRejectedValueOnce(new RpcError(-32003, 'stop bitcoin-knots first'));
    const wrapper = await detailsOf(
      appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '27.2', state: 'stopped', health: 'none' }),
    );
    await wrapper.get('[data-test=start]').trigger('click');
    await flushPromises();
    expect(wrapper.get('dialog h2').text()).toBe('Bitcoin Core was not started');
    expect(wrapper.get('[data-test=guard-refusal]').text()).toContain('blocks/xor.dat');
    expect(wrapper.find('[data-test=confirm]').exists()).toBe(false);
    await wrapper.get('[data-test=guard-close]').trigger('click');
    expect(wrapper.find('[data-test=guard-refusal]').exists()).toBe(false);
    expect(start).toHaveBeenCalledTimes(1);

    await wrapper.get('[data-test=start]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-test=guard-refusal]').exists()).toBe(false);
    expect(useToasts().items.at(-1)).toMatchObject({ kind: 'error', message: 'stop bitcoin-knots first' });
    wrapper.unmount();
  });
});

describe('an install the Bitcoin version guard refuses', () => {
  it('asks in the dialog and installs again with the confirmation', async () => {
    const install = vi
      .spyOn(client, 'install')
      .mockRejectedValueOnce(
        new RpcError(
          -32003,
          'downgrading bitcoin-core 31.1 → 30.3 needs a reindex of the chainstate (hours); confirm with --confirm-downgrade. Nothing was installed',
          { guard: { kind: 'downgrade', needs: 'confirmation', rules: [] } },
        ),
      )
      .mockResolvedValueOnce(appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '30.3' }));
    vi.spyOn(client, 'list').mockResolvedValue([]);
    vi.spyOn(client, 'catalog').mockResolvedValue([coreEntry]);
    const market = useMarketplace();
    market.apps = [coreEntry];
    market.loaded = true;
    useApps().loaded = true;
    plansCoreAlone();
    const wrapper = await mountAt('/marketplace/bitcoin-core');

    await wrapper.get('[data-test=open-install]').trigger('click');
    await wrapper.get('[data-test=version-select]').setValue('30.3');
    await flushPromises();
    await wrapper.get('[data-test=install]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-test=refusal-text]').text()).toBe(
      'Downgrading bitcoin-core 31.1 → 30.3 needs a reindex of the chainstate (hours); confirm below. Nothing was installed',
    );
    await wrapper.get('[data-test=confirm-install]').trigger('click');
    await flushPromises();
    expect(install).toHaveBeenLastCalledWith('bitcoin-core', { version: '30.3', confirmDowngrade: true });
    expect(wrapper.get('[data-test=installed]').text()).toContain('Bitcoin Core 30.3 is installed');
    wrapper.unmount();
  });
});
