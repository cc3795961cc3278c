import { flushPromises, mount } from '@vue/test-utils';
import type { CatalogEntry } from '@archipelago/core/contract';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { client } from '../api/container-client';
import { appStatus, catalogEntry, versionInfo } from '../test/fixtures';
import { useApps } from '../stores/apps';
import { useMarketplace } from '../stores/marketplace';
import ContainerApps from './ContainerApps.vue';

// The apps page's update badge: shown from what the daemon's catalog-list says about the version
// that runs (newer default, not pinned), and never from a stale answer after a version change.

let pinia: Pinia;
beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
});
afterEach(() => vi.restoreAllMocks());

/** Bitcoin Core as catalog-list reports it while `running` runs, with the daemon's update (if any). */
function coreEntry(running: string, patch: Partial<CatalogEntry> = {}): CatalogEntry {
  return catalogEntry('bitcoin-core', {
    name: 'Bitcoin Core',
    version: '31.0',
    installed: true,
    installedVersion: running,
    versions: ['31.0', '30.0', '29.3', '28.4'].map((v) =>
      versionInfo(v, { default: v === '31.0', installed: v === running }),
    ),
    defaultVersion: '31.0',
    ...patch,
  });
}

async function mountPage(entries: CatalogEntry[], running: Array<ReturnType<typeof appStatus>>) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: ContainerApps },
      { path: '/marketplace', component: { template: '<div />' } },
      { path: '/apps/:id', component: { template: '<div />' } },
    ],
  });
  await router.push('/');
  // What the daemon answers when the page (or the stale check) asks for the catalog again.
  const catalog = vi.spyOn(client, 'catalog').mockResolvedValue(entries);
  vi.spyOn(client, 'list').mockResolvedValue(running);
  useApps().replaceAll(running);
  const market = useMarketplace();
  market.apps = entries;
  market.loaded = true;
  const wrapper = mount(ContainerApps, { global: { plugins: [pinia, router] } });
  await flushPromises();
  return { wrapper, catalog };
}

const badgeOf = (wrapper: Awaited<ReturnType<typeof mountPage>>['wrapper'], id: string) =>
  wrapper.find(`[data-app="${id}"] [data-test=update-badge]`);

describe('ContainerApps update badge', () => {
  it('shows the update the daemon offers for the version that runs', async () => {
    const core = appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '28.4' });
    const hello = appStatus('hello');
    const { wrapper } = await mountPage(
      [
        coreEntry('28.4', { update: { version: '31.0', display: '31.0' } }),
        catalogEntry('hello', { installed: true, installedVersion: '1.0.0' }),
      ],
      [core, hello],
    );
    const badge = badgeOf(wrapper, 'bitcoin-core');
    expect(badge.text()).toBe('Update to 31.0');
    expect(badge.attributes('title')).toBe('Version 31.0 is available');
    expect(badgeOf(wrapper, 'hello').exists()).toBe(false);
  });

  it('shows none when the daemon offers none: pinned, or already at the default', async () => {
    const pinned = await mountPage(
      [coreEntry('28.4', { pinnedVersion: '28.4' })],
      [appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '28.4' })],
    );
    expect(badgeOf(pinned.wrapper, 'bitcoin-core').exists()).toBe(false);
    pinned.wrapper.unmount();

    setActivePinia((pinia = createPinia()));
    const current = await mountPage(
      [coreEntry('31.0')],
      [appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '31.0' })],
    );
    expect(badgeOf(current.wrapper, 'bitcoin-core').exists()).toBe(false);
  });

  it('drops a stale badge when the version changes over /ws, and asks the daemon again', async () => {
    const { wrapper, catalog } = await mountPage(
      [coreEntry('28.4', { update: { version: '31.0', display: '31.0' } })],
      [appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '28.4' })],
    );
    expect(badgeOf(wrapper, 'bitcoin-core').exists()).toBe(true);
    // The daemon's new answer is held back: until it comes, the old one must not show a badge.
    let answer: (entries: CatalogEntry[]) => void = () => undefined;
    catalog.mockReturnValue(new Promise((resolve) => (answer = resolve)));

    useApps().applyEvent({
      event: 'app-state',
      data: appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '30.0' }),
    });
    await flushPromises();
    expect(catalog).toHaveBeenCalledTimes(1);
    expect(badgeOf(wrapper, 'bitcoin-core').exists()).toBe(false);

    answer([coreEntry('30.0', { update: { version: '31.0', display: '31.0' } })]);
    await flushPromises();
    expect(useMarketplace().byId('bitcoin-core')?.installedVersion).toBe('30.0');
    expect(badgeOf(wrapper, 'bitcoin-core').text()).toBe('Update to 31.0');
  });
});

describe('ContainerApps image progress', () => {
  it("says on an installing app's card what the node is doing for its image", async () => {
    const installing = appStatus('bitcoin-core', {
      name: 'Bitcoin Core',
      version: '31.0',
      state: 'installing',
    });
    const { wrapper } = await mountPage([coreEntry('31.0')], [installing, appStatus('hello')]);
    const line = () => wrapper.find('[data-app="bitcoin-core"] [data-test=card-image-progress]');
    expect(line().exists()).toBe(false);

    const download = {
      id: 'bitcoin-core',
      version: '31.0',
      phase: 'download' as const,
      detail: 'bitcoin-31.0-x86_64-linux-gnu.tar.gz',
      bytes: 30_000_000,
      total: 120_000_000,
    };
    useApps().applyEvent({ event: 'image-progress', data: download });
    await flushPromises();
    expect(line().text()).toBe('Downloading the official release · 25 %');
    useApps().applyEvent({
      event: 'image-progress',
      data: { ...download, phase: 'verify', detail: 'SHA-256' },
    });
    await flushPromises();
    expect(line().text()).toBe('Verifying the download');
    expect(wrapper.find('[data-app="hello"] [data-test=card-image-progress]').exists()).toBe(false);

    useApps().applyEvent({ event: 'app-state', data: { ...installing, state: 'running' } });
    await flushPromises();
    expect(line().exists()).toBe(false);
  });
});

describe('ContainerApps imported badge', () => {
  it('marks an imported app on its card, and no other', async () => {
    const imported = appStatus('btcpay', {
      origin: { kind: 'umbrel', app: 'btcpay-server', upstreamVersion: '2.0.6' },
    });
    const { wrapper } = await mountPage([], [imported, appStatus('hello')]);
    expect(wrapper.get('[data-app="btcpay"] [data-test=imported-badge]').text()).toBe(
      'Imported from Umbrel · upstream 2.0.6 · not signed by the catalog',
    );
    expect(wrapper.find('[data-app="hello"] [data-test=imported-badge]').exists()).toBe(false);
  });
});
