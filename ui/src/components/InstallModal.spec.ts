import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
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

function mountModal(props: Record<string, unknown>) {
  return mount(InstallModal, {
    props: { app: knots, catalog: [knots, lnd], installed: [], ...props },
    attachTo: document.body,
  });
}

describe('InstallModal', () => {
  it('preselects the only version and shows Knots versions with their date', async () => {
    const wrapper = mountModal({});
    expect(wrapper.find('[data-test=version-select]').exists()).toBe(false);
    expect(wrapper.get('[data-test=version-single]').text()).toContain('29.3 (2026-05-08)');
    await wrapper.get('[data-test=install]').trigger('click');
    expect(wrapper.emitted('install')).toEqual([['29.3.knots20260508']]);
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
    const wrapper = mountModal({ app });
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
    expect(wrapper.emitted('install')).toEqual([['29.1.knots20250903']]);
    wrapper.unmount();
  });

  it('lists what will also be installed, and warns about a conflicting installed app', () => {
    const wrapper = mountModal({
      app: lnd,
      installed: [appStatus('bitcoin-core', { name: 'Bitcoin Core' })],
      catalog: [
        knots,
        lnd,
        catalogEntry('bitcoin-core', { name: 'Bitcoin Core', provides: ['bitcoin-node'] }),
      ],
    });
    expect(wrapper.get('[data-test=also-installs]').text()).toContain(
      'bitcoin-node: uses the installed bitcoin-core',
    );
    wrapper.unmount();

    const fresh = mountModal({ app: lnd });
    expect(fresh.get('[data-test=also-installs]').text()).toContain('Bitcoin Knots will be installed first');
    fresh.unmount();

    const conflict = mountModal({ installed: [appStatus('bitcoin-core', { name: 'Bitcoin Core' })] });
    expect(conflict.get('[data-test=conflict]').text()).toContain('Stop Bitcoin Core first');
    conflict.unmount();
  });

  it('renders pull progress with bytes and layers', () => {
    const wrapper = mountModal({
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

  it("shows the daemon's refusal in its own words", () => {
    const wrapper = mountModal({
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
    const wrapper = mountModal({
      state: { phase: 'done', version: '29.3.knots20260508' },
      status: appStatus('bitcoin-knots', { name: 'Bitcoin Knots', version: '29.3.knots20260508' }),
    });
    expect(wrapper.get('[data-test=installed]').text()).toContain('Running · healthy');
    await wrapper.findAll('button').at(-1)!.trigger('click');
    expect(wrapper.emitted('open')).toHaveLength(1);
    wrapper.unmount();
  });
});
