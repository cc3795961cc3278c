import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { RpcError } from '../api/container-client';
import { appStatus, versionInfo, versionPlan } from '../test/fixtures';
import VersionUpdatesCard from './VersionUpdatesCard.vue';

const core = appStatus('bitcoin-core', { name: 'Bitcoin Core', version: '31.0' });
const versions = [
  versionInfo('31.0', { default: true, installed: true }),
  versionInfo('30.2'),
  versionInfo('28.4', { deprecated: true }),
];

function mountCard(call: unknown, props: Record<string, unknown> = {}) {
  return mount(VersionUpdatesCard, {
    props: {
      app: core,
      versions,
      otherApp: 'bitcoin-knots',
      otherVersions: [versionInfo('29.3.knots20260508', { default: true })],
      otherName: 'Bitcoin Knots',
      api: { call: call as never },
      ...props,
    },
  });
}

/**
 * The daemon's side as the card sees it: `plans` answer package.plan-version-change (by op), any
 * other call goes to `other`. Every call is recorded.
 */
function daemon(
  plans: { set?: ReturnType<typeof versionPlan>; switch?: ReturnType<typeof versionPlan> } = {},
  other: (method: string, params: unknown) => Promise<unknown> = () => Promise.resolve({}),
) {
  return vi.fn((method: string, params: { op?: string }) => {
    if (method !== 'package.plan-version-change') return other(method, params);
    const plan = params.op === 'set-version' ? (plans.set ?? versionPlan()) : plans.switch;
    return plan ? Promise.resolve(plan) : Promise.reject(new RpcError(-32003, 'no plan in this spec'));
  });
}

const switchPlan = versionPlan({
  op: 'switch-implementation',
  to: { id: 'bitcoin-knots', version: '29.3.knots20260508', display: '29.3 (2026-05-08)', image: 'x' },
  direction: 'downgrade',
  confirm: { confirmSwitch: true, confirmDowngrade: true },
  warning:
    'switching from Bitcoin Core 31.0 to Bitcoin Knots 29.3 (2026-05-08) keeps the datadir, secrets and ports; only one of them ever runs. downgrading …',
});

describe('VersionUpdatesCard', () => {
  it('shows the current version, auto-update off by default', () => {
    const wrapper = mountCard(vi.fn());
    expect(wrapper.get('[data-test=current-version]').text()).toContain('31.0');
    expect(wrapper.get<HTMLInputElement>('[data-test=auto-update]').element.checked).toBe(false);
  });

  it("asks the daemon's plan for the chosen version, shows it, and blocks until it is confirmed", async () => {
    const call = daemon();
    const wrapper = mountCard(call);
    expect(call).not.toHaveBeenCalled();
    await wrapper.get('[data-test=target-version]').setValue('28.4');
    await flushPromises();
    expect(call).toHaveBeenCalledWith('package.plan-version-change', {
      op: 'set-version',
      id: 'bitcoin-core',
      version: '28.4',
    });
    const warning = wrapper.get('[data-test=downgrade-warning]').text();
    expect(warning).toContain('This is a downgrade: 31.0 → 28.4');
    expect(warning).toContain('Downgrading bitcoin-core 31.0 → 28.4 needs a reindex of the chainstate');
    expect(warning).toContain('accept the reindex');
    const apply = wrapper.get<HTMLButtonElement>('[data-test=apply-version]');
    expect(apply.element.disabled).toBe(true);
    await wrapper.get('[data-test=confirm-downgrade]').setValue(true);
    expect(apply.element.disabled).toBe(false);
    await apply.trigger('click');
    expect(call).toHaveBeenLastCalledWith('package.set-version', {
      id: 'bitcoin-core',
      version: '28.4',
      confirmDowngrade: true,
    });
  });

  it('lets an upgrade the daemon plans as needing nothing through at once', async () => {
    const call = daemon({
      set: versionPlan({
        direction: 'upgrade',
        allowed: true,
        needs: 'nothing',
        confirm: {},
        warning: 'upgrading bitcoin-core 28.4 → 31.0: fine. Going back to 28.4 later needs a reindex.',
      }),
    });
    const wrapper = mountCard(call, { app: { ...core, version: '28.4' } });
    await wrapper.get('[data-test=target-version]').setValue('31.0');
    await flushPromises();
    expect(wrapper.find('[data-test=downgrade-warning]').exists()).toBe(false);
    expect(wrapper.get('[data-test=upgrade-note]').text()).toContain('Going back to 28.4 later');
    expect(wrapper.get<HTMLButtonElement>('[data-test=apply-version]').element.disabled).toBe(false);
  });

  it('shows a change no confirmation allows as refused, with nothing to tick', async () => {
    const call = daemon({
      set: versionPlan({
        confirmable: false,
        confirm: {},
        warning: 'downgrading bitcoin-core 31.0 → 27.2 is refused: blocks/xor.dat …',
        refusal: 'downgrading bitcoin-core 31.0 → 27.2 is refused: blocks/xor.dat …',
      }),
    });
    const wrapper = mountCard(call);
    await wrapper.get('[data-test=target-version]').setValue('28.4');
    await flushPromises();
    expect(wrapper.get('[data-test=downgrade-warning]').text()).toContain('This change is refused');
    expect(wrapper.find('[data-test=confirm-downgrade]').exists()).toBe(false);
    expect(wrapper.get<HTMLButtonElement>('[data-test=apply-version]').element.disabled).toBe(true);
  });

  it("shows the daemon's pin and update, says what the change did, and tells the page", async () => {
    const wrapper = mountCard(daemon(), { update: { version: '31.0', display: '31.0' } });
    expect(wrapper.get('[data-test=card-update]').text()).toBe('31.0 is available');
    // The catalog answer arriving after the card: the pin hides the update and disables auto-update.
    await wrapper.setProps({ config: { pinnedVersion: '31.0', autoUpdate: false } });
    expect(wrapper.find('[data-test=pinned]').exists()).toBe(true);
    expect(wrapper.find('[data-test=card-update]').exists()).toBe(false);
    expect(wrapper.get<HTMLInputElement>('[data-test=auto-update]').element.disabled).toBe(true);

    const result = {
      status: core,
      from: { id: 'bitcoin-core', version: '31.0' },
      to: { id: 'bitcoin-core', version: '28.4' },
      warning: 'the chainstate is rebuilt (-reindex-chainstate).',
    };
    const changing = mountCard(daemon({}, () => Promise.resolve(result)));
    await changing.get('[data-test=target-version]').setValue('28.4');
    await flushPromises();
    await changing.get('[data-test=confirm-downgrade]').setValue(true);
    await changing.get('[data-test=apply-version]').trigger('click');
    await flushPromises();
    expect(changing.text()).toContain('Now running 28.4. The chainstate is rebuilt (-reindex-chainstate).');
    expect(changing.emitted('changed')).toHaveLength(1);
  });

  it('needs the app id typed when the plan says so (a pruned node)', async () => {
    const call = daemon({
      set: versionPlan({
        needs: 'typed-confirmation',
        typedText: 'bitcoin-core',
        reindex: 'full',
        confirm: { confirmDowngrade: true, confirmResync: 'bitcoin-core' },
      }),
    });
    const wrapper = mountCard(call);
    await wrapper.get('[data-test=target-version]').setValue('30.2');
    await flushPromises();
    expect(wrapper.get('[data-test=downgrade-warning]').text()).toContain('accept the full re-sync');
    await wrapper.get('[data-test=confirm-downgrade]').setValue(true);
    const apply = wrapper.get<HTMLButtonElement>('[data-test=apply-version]');
    expect(apply.element.disabled).toBe(true);
    await wrapper.get('[data-test=typed-confirmation]').setValue('bitcoin-core');
    expect(apply.element.disabled).toBe(false);
    await apply.trigger('click');
    expect(call).toHaveBeenLastCalledWith('package.set-version', {
      id: 'bitcoin-core',
      version: '30.2',
      confirmDowngrade: true,
      confirmResync: 'bitcoin-core',
    });
  });

  it('reports a daemon without package.plan-version-change plainly, and sends nothing', async () => {
    const call = vi
      .fn()
      .mockRejectedValue(new RpcError(-32601, "unknown method 'package.plan-version-change'"));
    const wrapper = mountCard(call);
    await wrapper.get('[data-test=target-version]').setValue('30.2');
    await flushPromises();
    expect(wrapper.get('[data-test=plan-failure]').text()).toMatch(/cannot plan version changes yet/);
    expect(wrapper.get<HTMLButtonElement>('[data-test=apply-version]').element.disabled).toBe(true);
  });

  it('reverts the auto-update switch when the daemon cannot set it', async () => {
    const call = vi.fn().mockRejectedValue(new RpcError(-32601, 'unknown method'));
    const wrapper = mountCard(call);
    const toggle = wrapper.get<HTMLInputElement>('[data-test=auto-update]');
    await toggle.setValue(true);
    await flushPromises();
    expect(call).toHaveBeenCalledWith('package.set-config', { id: 'bitcoin-core', autoUpdate: true });
    expect(toggle.element.checked).toBe(false);
    expect(wrapper.get('[data-test=card-message]').text()).toMatch(/cannot change update settings yet/);
  });

  it("keeps the Core ⇄ Knots switch a separate action, showing the daemon's plan for it", async () => {
    const call = daemon({ switch: switchPlan });
    const wrapper = mountCard(call);
    expect(wrapper.find('[data-test=switch-warning]').exists()).toBe(false);
    await wrapper.get('[data-test=open-switch]').trigger('click');
    await flushPromises();
    expect(call).toHaveBeenCalledWith('package.plan-version-change', {
      op: 'switch-implementation',
      from: 'bitcoin-core',
      to: 'bitcoin-knots',
      version: '29.3.knots20260508',
    });
    expect(wrapper.get('[data-test=switch-plan]').text()).toMatch(
      /Switching from Bitcoin Core 31.0 to Bitcoin Knots 29.3 \(2026-05-08\)/,
    );
    const apply = wrapper.get<HTMLButtonElement>('[data-test=apply-switch]');
    expect(apply.element.disabled).toBe(true);
    await wrapper.get('[data-test=confirm-switch]').setValue(true);
    await apply.trigger('click');
    expect(call).toHaveBeenLastCalledWith('package.switch-implementation', {
      from: 'bitcoin-core',
      to: 'bitcoin-knots',
      version: '29.3.knots20260508',
      confirmSwitch: true,
      confirmDowngrade: true,
    });
  });
});
