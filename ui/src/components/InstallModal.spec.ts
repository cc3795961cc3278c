import {
  MIN_PRUNE_GB,
  type CatalogEntry,
  type ImageProgress,
  type InstallPlanView,
} from '@archipelago/core/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { RpcError } from '../api/container-client';
import { appStatus, catalogEntry, versionInfo } from '../test/fixtures';
import InstallModal from './InstallModal.vue';

const knots = {
  ...catalogEntry('bitcoin-knots', {
    name: 'Bitcoin Knots',
    version: '29.3.knots20260508',
    category: 'bitcoin',
    provides: ['bitcoin-node'],
    conflicts: ['bitcoin-core'],
  }),
};
const lnd = catalogEntry('lnd', { name: 'LND', dependencies: [{ id: 'bitcoin-node' }] });

/** What a plan grants `app` (the dialog does not show it yet; the wire carries it). */
const noGrants = (app: string): InstallPlanView['grants'] => ({
  app,
  services: [],
  dependencies: [],
  secrets: [],
});

/** The daemon's plan for installing `app` alone: its install and start steps, nothing to choose. */
function planOf(app: { id: string; name: string; version: string }): InstallPlanView {
  const step = { app: app.id, name: app.name, version: app.version, why: 'requested' };
  return {
    id: app.id,
    steps: [
      { ...step, action: 'install' },
      { ...step, action: 'start' },
    ],
    choices: [],
    credentials: [],
    ready: true,
    grants: noGrants(app.id),
  };
}

/** Mounts the dialog with a daemon that plans (`call`, by default the app alone) and waits for its plan. */
async function mountModal(props: Record<string, unknown>, call?: ReturnType<typeof vi.fn>) {
  const app = (props.app ?? knots) as CatalogEntry;
  const api = { call: call ?? vi.fn(() => Promise.resolve(planOf(app))) };
  const wrapper = mount(InstallModal, {
    props: { app: knots, catalog: [knots, lnd], installed: [], api: api as never, ...props },
    attachTo: document.body,
  });
  await flushPromises();
  return wrapper;
}

describe('InstallModal', () => {
  it('preselects the only version and shows Knots versions with their date', async () => {
    const wrapper = await mountModal({});
    expect(wrapper.find('[data-test=version-select]').exists()).toBe(false);
    expect(wrapper.get('[data-test=version-single]').text()).toContain('29.3 (2026-05-08)');
    await wrapper.get('[data-test=install]').trigger('click');
    expect(wrapper.emitted('install')).toEqual([[{ version: '29.3.knots20260508' }]]);
    wrapper.unmount();
  });

  it('offers a dropdown when the catalog lists several versions, preselecting the default', async () => {
    const app = {
      ...knots,
      versions: [
        versionInfo('29.3.knots20260508', { default: true }),
        versionInfo('29.2.knots20251110', { eol: '2020-01-01' }),
        versionInfo('29.1.knots20250903', { deprecated: true, notes: 'Kept for nodes still on 29.1.' }),
      ],
    };
    const wrapper = await mountModal({ app });
    const select = wrapper.get<HTMLSelectElement>('[data-test=version-select]');
    expect(select.element.value).toBe('29.3.knots20260508');
    const labels = select.findAll('option').map((option) => option.text());
    expect(labels).toEqual([
      '29.3 (2026-05-08) · recommended',
      '29.2 (2025-11-10) · end of life',
      '29.1 (2025-09-03) · deprecated',
    ]);
    await select.setValue('29.1.knots20250903');
    expect(wrapper.get('[data-test=version-warning]').text()).toContain('deprecated');
    expect(wrapper.get('[data-test=version-notes]').text()).toBe('Kept for nodes still on 29.1.');
    await wrapper.get('[data-test=install]').trigger('click');
    expect(wrapper.emitted('install')).toEqual([[{ version: '29.1.knots20250903' }]]);
    wrapper.unmount();
  });

  it('with a daemon that cannot plan, lists from the catalog what will also be installed, and warns about a conflict', async () => {
    const oldDaemon = () =>
      vi.fn(() => Promise.reject(new RpcError(-32601, "unknown method 'package.plan-install'")));
    const wrapper = await mountModal(
      {
        app: lnd,
        installed: [appStatus('bitcoin-core', { name: 'Bitcoin Core' })],
        catalog: [
          knots,
          lnd,
          catalogEntry('bitcoin-core', { name: 'Bitcoin Core', provides: ['bitcoin-node'] }),
        ],
      },
      oldDaemon(),
    );
    expect(wrapper.get('[data-test=also-installs]').text()).toContain(
      'bitcoin-node: uses the installed bitcoin-core',
    );
    expect(wrapper.find('[data-test=plan]').exists()).toBe(false);
    expect(wrapper.get<HTMLButtonElement>('[data-test=install]').element.disabled).toBe(false);
    wrapper.unmount();

    const fresh = await mountModal({ app: lnd }, oldDaemon());
    expect(fresh.get('[data-test=also-installs]').text()).toContain('Bitcoin Knots will be installed first');
    fresh.unmount();

    const conflict = await mountModal({ installed: [appStatus('bitcoin-core', { name: 'Bitcoin Core' })] });
    expect(conflict.get('[data-test=conflict]').text()).toContain('Stop Bitcoin Core first');
    conflict.unmount();
  });

  it('renders pull progress with bytes and layers', async () => {
    const wrapper = await mountModal({
      state: { phase: 'installing' },
      progress: {
        id: 'bitcoin-knots',
        image: 'x',
        completedBytes: 12_000_000,
        totalBytes: 40_000_000,
        layersDone: 2,
        layersTotal: 5,
      },
    });
    const progress = wrapper.get('[data-test=progress]');
    expect(progress.text()).toContain('12.0 MB of 40.0 MB · layer 2 of 5');
    expect(progress.get('[role=progressbar]').attributes('aria-valuenow')).toBe('30');
    expect(wrapper.get<HTMLButtonElement>('[data-test=install]').element.disabled).toBe(true);
    wrapper.unmount();
  });

  it("shows the daemon's refusal in its own words", async () => {
    const wrapper = await mountModal({
      state: {
        phase: 'failed',
        error: 'bitcoin-knots conflicts with the running bitcoin-core: stop bitcoin-core first',
      },
    });
    expect(wrapper.get('[data-test=refusal]').text()).toContain('stop bitcoin-core first');
    expect(wrapper.get('[data-test=install]').text()).toBe('Try again');
    wrapper.unmount();
  });

  it('says when it is done and offers to open the app', async () => {
    const wrapper = await mountModal({
      state: { phase: 'done', version: '29.3.knots20260508' },
      status: appStatus('bitcoin-knots', { name: 'Bitcoin Knots', version: '29.3.knots20260508' }),
    });
    expect(wrapper.get('[data-test=installed]').text()).toContain('Running · healthy');
    await wrapper.findAll('button').at(-1)!.trigger('click');
    expect(wrapper.emitted('open')).toHaveLength(1);
    wrapper.unmount();
  });

  it('for a Bitcoin node: the chain (mainnet by default, each said what it is for) and pruning, off by default', async () => {
    const wrapper = await mountModal({});
    const chain = wrapper.get('[data-test=network-choice]');
    expect(chain.get('legend').text()).toBe('Chain');
    const radios = chain.findAll<HTMLInputElement>('input[type=radio]');
    expect(radios.map((radio) => radio.element.value)).toEqual(['mainnet', 'testnet4', 'signet', 'regtest']);
    expect(wrapper.get<HTMLInputElement>('[data-test=network-mainnet]').element.checked).toBe(true);
    // Each choice is a label around its radio, with its purpose.
    expect(chain.text()).toContain('Testnet4The public test network: coins are worthless');
    expect(chain.text()).toMatch(/chain is fixed once the node has data/);

    const prune = wrapper.get('[data-test=prune-choice]');
    expect(wrapper.get<HTMLInputElement>('[data-test=prune-toggle]').element.checked).toBe(false);
    expect(wrapper.find('[data-test=prune-gb]').exists()).toBe(false);
    expect(prune.text()).toMatch(/keeps every block/);
    wrapper.unmount();
  });

  it('sends the chosen chain and prune size with the install', async () => {
    const wrapper = await mountModal({});
    await wrapper.get('[data-test=network-signet]').setValue(true);
    await wrapper.get('[data-test=prune-toggle]').setValue(true);
    const size = wrapper.get<HTMLInputElement>('[data-test=prune-gb]');
    expect(size.element.value).toBe('10');
    expect(size.attributes('min')).toBe(String(MIN_PRUNE_GB));
    // Its label names it, for screen readers and for clicks.
    expect(wrapper.get(`label[for="${size.attributes('id')}"]`).text()).toMatch(/Keep at most \(GB/);
    // What pruning costs, said where it is chosen.
    expect(wrapper.get('[data-test=prune-choice]').text()).toMatch(
      /cannot serve the old blocks.*downloading and verifying the whole chain again/s,
    );
    await size.setValue('25');
    await wrapper.get('[data-test=install]').trigger('click');
    expect(wrapper.emitted('install')).toEqual([
      [{ version: '29.3.knots20260508', network: 'signet', prune: 25 }],
    ]);
    wrapper.unmount();
  });

  it("starts from the app's own chain and pruning, and sends only what the user changed", async () => {
    const regtestNode = { ...knots, bitcoin: { network: 'regtest' as const, prune: 3 } };
    const wrapper = await mountModal({ app: regtestNode });
    expect(wrapper.get<HTMLInputElement>('[data-test=network-regtest]').element.checked).toBe(true);
    expect(wrapper.get<HTMLInputElement>('[data-test=prune-toggle]').element.checked).toBe(true);
    expect(wrapper.get<HTMLInputElement>('[data-test=prune-gb]').element.value).toBe('3');
    await wrapper.get('[data-test=install]').trigger('click');
    expect(wrapper.emitted('install')).toEqual([[{ version: '29.3.knots20260508' }]]);
    wrapper.unmount();
  });

  it('will not install with a prune size the node would refuse', async () => {
    const wrapper = await mountModal({});
    await wrapper.get('[data-test=prune-toggle]').setValue(true);
    const install = wrapper.get<HTMLButtonElement>('[data-test=install]');
    for (const [typed, error] of [
      ['0', `Enter at least ${MIN_PRUNE_GB} GB.`],
      ['2.5', 'Enter a whole number of GB.'],
      ['', 'Enter a size in GB.'],
    ] as const) {
      await wrapper.get('[data-test=prune-gb]').setValue(typed);
      expect(wrapper.get('[data-test=prune-error]').text()).toBe(error);
      expect(wrapper.get('[data-test=prune-gb]').attributes('aria-invalid')).toBe('true');
      expect(install.element.disabled).toBe(true);
    }
    // Turning pruning off again makes the size irrelevant.
    await wrapper.get('[data-test=prune-toggle]').setValue(false);
    expect(install.element.disabled).toBe(false);
    await install.trigger('click');
    expect(wrapper.emitted('install')).toEqual([[{ version: '29.3.knots20260508' }]]);
    wrapper.unmount();
  });

  it('offers no chain or pruning for an app that is not a node, and sends only the version', async () => {
    const wrapper = await mountModal({ app: lnd });
    expect(wrapper.find('[data-test=network-choice]').exists()).toBe(false);
    expect(wrapper.find('[data-test=prune-choice]').exists()).toBe(false);
    await wrapper.get('[data-test=install]').trigger('click');
    expect(wrapper.emitted('install')).toEqual([[{ version: '1.0.0' }]]);
    wrapper.unmount();
  });

  it("shows the node's image work while it installs, with what was asked for", async () => {
    const image: ImageProgress = {
      id: 'bitcoin-knots',
      version: '29.3.knots20260508',
      phase: 'download',
      detail: 'bitcoin-29.3.knots20260508-x86_64-linux-gnu.tar.gz',
      file: 'bitcoin-29.3.knots20260508-x86_64-linux-gnu.tar.gz',
      bytes: 30_000_000,
      total: 120_000_000,
      rateBytesPerSecond: 4_000_000,
      etaSeconds: 23,
    };
    const wrapper = await mountModal({
      state: {
        phase: 'installing',
        version: '29.3.knots20260508',
        choices: { version: '29.3.knots20260508', network: 'testnet4', prune: 10 },
      },
      imageProgress: image,
      status: appStatus('bitcoin-knots', { state: 'installing', health: 'starting' }),
    });
    const progress = wrapper.get('[data-test=progress]');
    expect(progress.get('[data-test=image-step]').text()).toBe('Downloading the official release');
    expect(progress.get('[role=progressbar]').attributes('aria-valuenow')).toBe('25');
    expect(progress.text()).toContain('30.0 MB of 120 MB');
    expect(progress.text()).toContain('4.0 MB/s');
    expect(progress.text()).toContain('23 s left');
    // The choices give way to what was asked for, so the progress is in view on a phone.
    expect(wrapper.find('[data-test=network-choice]').exists()).toBe(false);
    expect(wrapper.find('[data-test=prune-choice]').exists()).toBe(false);
    expect(wrapper.get('[data-test=install-summary]').text()).toBe(
      '29.3 (2026-05-08) · Testnet4 · pruned to 10 GB',
    );
    // A long download: the user may close the dialog; the node carries on.
    expect(wrapper.get('[data-test=cancel]').text()).toBe('Close');
    expect(wrapper.get<HTMLButtonElement>('[data-test=cancel]').element.disabled).toBe(false);
    wrapper.unmount();

    // Once the container exists the image work is over: the dialog says it waits for the app.
    const starting = await mountModal({
      state: { phase: 'installing' },
      imageProgress: { ...image, phase: 'sbom', detail: 'listing and hashing every file of the image' },
      status: appStatus('bitcoin-knots', { state: 'starting', health: 'starting', containerId: 'c1' }),
    });
    expect(starting.find('[data-test=image-progress]').exists()).toBe(false);
    expect(starting.get('[data-test=progress]').text()).toContain('waiting for the first health check');
    starting.unmount();
    // The daemon says installing until the app is up: the container alone says the image is done.
    const created = await mountModal({
      state: { phase: 'installing' },
      imageProgress: { ...image, phase: 'sbom', detail: 'listing and hashing every file of the image' },
      status: appStatus('bitcoin-knots', { state: 'installing', health: 'starting', containerId: 'c1' }),
    });
    expect(created.find('[data-test=image-progress]').exists()).toBe(false);
    expect(created.get('[data-test=progress]').text()).toContain(
      'Starting Bitcoin Knots: waiting for the first health check…',
    );
    created.unmount();
  });

  it('shows a refusal to get the release in full, with each source the node tried', async () => {
    const error =
      'could not get Bitcoin Knots: no source served SHA256SUMS: https://bitcoinknots.org/files/29.x/29.3.knots20260508/SHA256SUMS: ' +
      "HTTP 404; https://mirror.example/SHA256SUMS: connection refused. Check the version and the sources in the config.. Check this node's internet connection";
    const wrapper = await mountModal({
      state: {
        phase: 'failed',
        error,
        sources: [
          {
            url: 'https://bitcoinknots.org/files/29.x/29.3.knots20260508/SHA256SUMS',
            served: false,
            detail: 'HTTP 404',
          },
          { url: 'https://mirror.example/SHA256SUMS', served: false, detail: 'connection refused' },
        ],
      },
    });
    const refusal = wrapper.get('[data-test=refusal]');
    expect(refusal.attributes('role')).toBe('alert');
    // In full, with the sentence's capital.
    expect(wrapper.get('[data-test=refusal-text]').text()).toBe(`C${error.slice(1)}`);
    const sources = wrapper.findAll('[data-test=sources-tried] li').map((li) => li.text());
    expect(sources).toEqual([
      'https://bitcoinknots.org/files/29.x/29.3.knots20260508/SHA256SUMSHTTP 404',
      'https://mirror.example/SHA256SUMSconnection refused',
    ]);
    wrapper.unmount();

    const signatures = await mountModal({
      state: {
        phase: 'failed',
        error:
          'refused: only 2 good signatures from distinct pinned builders on SHA256SUMS, 3 needed (no key for fanquake E777299FC265DD04793070EB944D35F9AC3DB76A: HTTP 404)',
      },
    });
    expect(signatures.get('[data-test=refusal-text]').text()).toMatch(
      /only 2 good signatures .* 3 needed \(no key for fanquake/,
    );
    expect(signatures.find('[data-test=sources-tried]').exists()).toBe(false);
    signatures.unmount();
  });

  it('opened again after a refusal, keeps what the install asked for', async () => {
    const wrapper = await mountModal({
      state: {
        phase: 'failed',
        error: 'refused',
        choices: { version: '29.3.knots20260508', network: 'signet', prune: 7 },
      },
    });
    expect(wrapper.get<HTMLInputElement>('[data-test=network-signet]').element.checked).toBe(true);
    expect(wrapper.get<HTMLInputElement>('[data-test=prune-toggle]').element.checked).toBe(true);
    expect(wrapper.get<HTMLInputElement>('[data-test=prune-gb]').element.value).toBe('7');
    wrapper.unmount();
  });

  it('says which chain a node was installed on', async () => {
    const wrapper = await mountModal({
      state: { phase: 'done', version: '29.3.knots20260508' },
      status: appStatus('bitcoin-knots', {
        name: 'Bitcoin Knots',
        version: '29.3.knots20260508',
        bitcoin: { network: 'testnet4', prune: 10 },
      }),
    });
    expect(wrapper.get('[data-test=installed-chain]').text()).toBe('Chain: Testnet4, pruned to 10 GB.');
    wrapper.unmount();
  });
});

describe('InstallModal after the version guard refused to start the node on its kept data', () => {
  const core = catalogEntry('bitcoin-core', {
    name: 'Bitcoin Core',
    version: '31.0',
    category: 'bitcoin',
    provides: ['bitcoin-node'],
    versions: [versionInfo('31.0', { default: true }), versionInfo('29.3'), versionInfo('27.2')],
    defaultVersion: '31.0',
  });
  const guarded = (needs: 'nothing' | 'confirmation' | 'typed-confirmation', message: string) => ({
    phase: 'failed' as const,
    error: message,
    guard: { message, needs, kind: 'downgrade', rules: [] },
    choices: { version: '29.3', network: 'signet' as const },
  });
  const reindex =
    'downgrading bitcoin-core 31.0 → 29.3 needs a reindex of the chainstate (hours); confirm below. Nothing was installed';

  it('shows the refusal with the install it refused, and confirming retries it with confirmDowngrade', async () => {
    const wrapper = await mountModal({ app: core, catalog: [core], state: guarded('confirmation', reindex) });
    expect(wrapper.get('[data-test=refusal-text]').text()).toBe(`D${reindex.slice(1)}`);
    // The confirmation is about that install: its summary stands in for the choices.
    expect(wrapper.get('[data-test=install-summary]').text()).toBe('29.3 · Signet · keeps every block');
    expect(wrapper.find('[data-test=version-select]').exists()).toBe(false);
    expect(wrapper.find('[data-test=install]').exists()).toBe(false);
    expect(wrapper.find('[data-test=guard-typed]').exists()).toBe(false);
    const confirm = wrapper.get<HTMLButtonElement>('[data-test=confirm-install]');
    expect(confirm.text()).toBe('Install anyway');
    expect(confirm.element.disabled).toBe(false);
    await confirm.trigger('click');
    expect(wrapper.emitted('install')).toEqual([
      [{ version: '29.3', network: 'signet', confirmDowngrade: true }],
    ]);
    wrapper.unmount();
  });

  it('on a pruned node keeps the button disabled until the app id is typed, and sends confirmResync', async () => {
    const message =
      'downgrading bitcoin-core 31.0 → 29.3 would re-download the whole chain: this node is pruned; to accept, confirm ' +
      'below by typing the app id (bitcoin-core). Nothing was installed';
    const wrapper = await mountModal({
      app: core,
      catalog: [core],
      state: guarded('typed-confirmation', message),
    });
    const confirm = wrapper.get<HTMLButtonElement>('[data-test=confirm-install]');
    const typed = wrapper.get<HTMLInputElement>('[data-test=guard-typed]');
    expect(wrapper.get(`label[for="${typed.attributes('id')}"]`).text()).toBe('Type bitcoin-core to confirm');
    expect(confirm.element.disabled).toBe(true);
    await typed.setValue('bitcoin');
    expect(confirm.element.disabled).toBe(true);
    await confirm.trigger('click');
    expect(wrapper.emitted('install')).toBeUndefined();
    await typed.setValue('bitcoin-core');
    expect(confirm.element.disabled).toBe(false);
    await confirm.trigger('click');
    expect(wrapper.emitted('install')).toEqual([
      [{ version: '29.3', network: 'signet', confirmDowngrade: true, confirmResync: 'bitcoin-core' }],
    ]);
    wrapper.unmount();
  });

  it('a refusal nothing can confirm offers no retry: only other choices can be installed', async () => {
    const message =
      'downgrading bitcoin-core 31.0 → 27.2 is refused: blocks/xor.dat holds a random key 27.2 cannot read. Stay on ' +
      '31.0 or another version of at least 28.0. Nothing was installed';
    const wrapper = await mountModal({
      app: core,
      catalog: [core],
      state: { ...guarded('nothing', message), choices: { version: '27.2', network: 'signet' as const } },
    });
    expect(wrapper.get('[data-test=refusal-text]').text()).toContain('Stay on 31.0');
    expect(wrapper.find('[data-test=confirm-install]').exists()).toBe(false);
    expect(wrapper.find('[data-test=guard-typed]').exists()).toBe(false);
    const install = wrapper.get<HTMLButtonElement>('[data-test=install]');
    expect(install.text()).toBe('Install');
    expect(install.element.disabled).toBe(true);
    await wrapper.get('[data-test=version-select]').setValue('31.0');
    expect(install.element.disabled).toBe(false);
    await install.trigger('click');
    expect(wrapper.emitted('install')).toEqual([[{ version: '31.0', network: 'signet' }]]);
    wrapper.unmount();
  });
});

describe('InstallModal: the plan from the daemon, and the choice of a Bitcoin node', () => {
  const candidates = [
    { id: 'bitcoin-core', name: 'Bitcoin Core' },
    { id: 'bitcoin-knots', name: 'Bitcoin Knots' },
  ];
  const lndStep = { app: 'lnd', name: 'LND', version: '1.0.0', why: 'requested' };
  const knotsStep = {
    app: 'bitcoin-knots',
    name: 'Bitcoin Knots',
    version: '29.3.knots20260508',
    why: 'provides bitcoin-node for lnd',
  };
  /** The daemon's answers: no node chosen → not ready; a choice → that node first, with lnd's login. */
  const daemon = () =>
    vi.fn((method: string, params: { choices?: Record<string, string> }) => {
      if (method !== 'package.plan-install') return Promise.reject(new Error(`unexpected ${method}`));
      const chosen = params.choices?.['bitcoin-node'];
      const choice = { interface: 'bitcoin-node', dependent: 'lnd', candidates };
      const plan: InstallPlanView = chosen
        ? {
            id: 'lnd',
            steps: [
              {
                ...knotsStep,
                app: chosen,
                name: chosen === 'bitcoin-core' ? 'Bitcoin Core' : 'Bitcoin Knots',
                action: 'install',
              },
              {
                ...knotsStep,
                app: chosen,
                name: chosen === 'bitcoin-core' ? 'Bitcoin Core' : 'Bitcoin Knots',
                action: 'start',
              },
              { ...lndStep, action: 'install' },
              { ...lndStep, action: 'start' },
            ],
            choices: [{ ...choice, chosen }],
            credentials: [
              {
                dependent: 'lnd',
                provider: chosen,
                interface: 'bitcoin-node',
                methods: ['getblock', 'getblockhash'],
              },
            ],
            ready: true,
            grants: noGrants('lnd'),
          }
        : {
            id: 'lnd',
            steps: [
              { ...lndStep, action: 'install' },
              { ...lndStep, action: 'start' },
            ],
            choices: [choice],
            credentials: [],
            ready: false,
            grants: noGrants('lnd'),
          };
      return Promise.resolve(plan);
    });

  it('asks the daemon for the plan and shows every step before anything happens', async () => {
    const call = vi.fn(() => Promise.resolve(planOf(knots)));
    const wrapper = await mountModal({}, call);
    expect(call).toHaveBeenCalledWith('package.plan-install', {
      id: 'bitcoin-knots',
      version: '29.3.knots20260508',
    });
    const steps = wrapper.findAll('[data-test=plan-steps] li').map((li) => li.text());
    expect(steps).toEqual([
      'Install Bitcoin Knots 29.3 (2026-05-08) — the app you asked for',
      'Start Bitcoin Knots 29.3 (2026-05-08) — the app you asked for',
    ]);
    expect(wrapper.get<HTMLButtonElement>('[data-test=install]').element.disabled).toBe(false);
    wrapper.unmount();
  });

  it('offers Bitcoin Core or Knots when either could serve, refreshes the plan on a choice, and installs with it', async () => {
    const call = daemon();
    const wrapper = await mountModal({ app: lnd }, call);
    const fieldset = wrapper.get('[data-test=provider-choice-bitcoin-node]');
    expect(fieldset.get('legend').text()).toBe('Which Bitcoin node should LND use?');
    const radios = fieldset.findAll<HTMLInputElement>('input[type=radio]');
    expect(radios.map((radio) => radio.element.value)).toEqual(['bitcoin-core', 'bitcoin-knots']);
    expect(radios.every((radio) => !radio.element.checked)).toBe(true);
    expect(fieldset.text()).toContain('Bitcoin CoreWill be installed first');
    // Nothing chosen yet: the plan says so, and the install waits for the choice.
    expect(wrapper.find('[data-test=plan-open-choice]').exists()).toBe(true);
    const install = wrapper.get<HTMLButtonElement>('[data-test=install]');
    expect(install.element.disabled).toBe(true);

    await wrapper.get('[data-test=provider-bitcoin-knots]').setValue(true);
    await flushPromises();
    expect(call).toHaveBeenLastCalledWith('package.plan-install', {
      id: 'lnd',
      version: '1.0.0',
      choices: { 'bitcoin-node': 'bitcoin-knots' },
    });
    expect(wrapper.findAll('[data-test=plan-steps] li').map((li) => li.text())).toEqual([
      'Install Bitcoin Knots 29.3 (2026-05-08) — provides bitcoin-node for LND',
      'Start Bitcoin Knots 29.3 (2026-05-08) — provides bitcoin-node for LND',
      'Install LND 1.0.0 — the app you asked for',
      'Start LND 1.0.0 — the app you asked for',
    ]);
    expect(wrapper.get('[data-test=plan-logins]').text()).toBe(
      'LND gets its own RPC login for Bitcoin Knots (limited to: getblock, getblockhash).',
    );
    expect(wrapper.find('[data-test=plan-open-choice]').exists()).toBe(false);
    expect(install.element.disabled).toBe(false);
    await install.trigger('click');
    expect(wrapper.emitted('install')).toEqual([
      [{ version: '1.0.0', choices: { 'bitcoin-node': 'bitcoin-knots' } }],
    ]);

    // Changing one's mind asks again and the other node takes its place.
    await wrapper.get('[data-test=provider-bitcoin-core]').setValue(true);
    await flushPromises();
    expect(wrapper.get('[data-test=plan-steps]').text()).toContain('Install Bitcoin Core');
    wrapper.unmount();
  });

  it("shows a restart the install causes, and the daemon's refusal of the plan (keeping the choice offered)", async () => {
    const restart = vi.fn(() =>
      Promise.resolve<InstallPlanView>({
        id: 'lnd',
        steps: [
          { ...lndStep, action: 'install' },
          {
            app: 'bitcoin-core',
            name: 'Bitcoin Core',
            version: '31.0',
            action: 'restart',
            why: "learns lnd's RPC login (bitcoin-core reads logins only at start)",
          },
          { ...lndStep, action: 'start' },
        ],
        choices: [],
        credentials: [{ dependent: 'lnd', provider: 'bitcoin-core', interface: 'bitcoin-node' }],
        ready: true,
        grants: noGrants('lnd'),
      }),
    );
    const wrapper = await mountModal(
      { app: lnd, installed: [appStatus('bitcoin-core', { name: 'Bitcoin Core' })] },
      restart,
    );
    expect(wrapper.get('[data-test=plan-step-restart]').text()).toBe(
      "Restart Bitcoin Core 31.0 — learns LND's RPC login (Bitcoin Core reads logins only at start)",
    );
    wrapper.unmount();

    const call = daemon();
    const refusing = await mountModal({ app: lnd }, call);
    call.mockImplementationOnce(() =>
      Promise.reject(
        new RpcError(
          -32002,
          "bitcoin-core conflicts with bitcoin-knots, which is running: stop bitcoin-knots first ('archy stop bitcoin-knots')",
        ),
      ),
    );
    await refusing.get('[data-test=provider-bitcoin-core]').setValue(true);
    await flushPromises();
    expect(refusing.get('[data-test=plan-refusal]').text()).toMatch(
      /^Bitcoin-core conflicts with bitcoin-knots/,
    );
    expect(refusing.get<HTMLButtonElement>('[data-test=install]').element.disabled).toBe(true);
    expect(refusing.find('[data-test=provider-bitcoin-knots]').exists()).toBe(true);
    refusing.unmount();
  });
});
