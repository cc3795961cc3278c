import type { BackupSnapshotInfo, BackupStatus } from '@archipelago/core/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { client, RpcError } from '../api/container-client';
import { useBackups } from '../stores/backups';
import BackupsView from './BackupsView.vue';

// The page against the daemon's answers (client.call stubbed per method) and /ws events fed to
// the store by hand; nothing reaches for a network.

const snapshot: BackupSnapshotInfo = {
  id: 'b'.repeat(64),
  shortId: 'bbbbbbbb',
  time: '2026-12-06T03:00:00Z',
  apps: [{ id: 'lnd', version: '0.21.2-beta' }],
  reason: 'schedule',
  includesChain: false,
};

function daemon(status: BackupStatus, answers: Record<string, (params: unknown) => unknown> = {}) {
  return vi.spyOn(client, 'call').mockImplementation(((method: string, params: unknown) => {
    const answer = answers[method];
    if (answer) return Promise.resolve().then(() => answer(params));
    if (method === 'backup.status') return Promise.resolve(status);
    if (method === 'backup.schedule')
      return Promise.resolve({
        schedule: { enabled: true, at: '03:30', includeChain: false, retention: { keepDaily: 7 } },
        nextRun: '2026-12-07T03:30:00Z',
        last: { job: 'create', ok: true, startedAt: '', finishedAt: '2026-12-06T03:31:00Z', apps: ['lnd'] },
      });
    if (method === 'backup.list') return Promise.resolve([snapshot]);
    return Promise.reject(new Error(`unexpected call ${method}`));
  }) as never);
}

beforeEach(() => {
  setActivePinia(createPinia());
  vi.stubGlobal('fetch', () => Promise.reject(new Error('a spec page made an unexpected request')));
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  document.body.innerHTML = '';
});

const configured: BackupStatus = {
  target: 'rest:http://127.0.0.1:8000/node',
  keyConfirmed: true,
  channelBackup: { app: 'lnd', copiedAt: '2026-12-06T10:00:00Z' },
};

describe('BackupsView', () => {
  it('shows target, key state, last result, next run, channel backup and the snapshots', async () => {
    daemon(configured);
    const wrapper = mount(BackupsView, { attachTo: document.body });
    await flushPromises();
    expect(wrapper.get('[data-test=backup-target]').text()).toContain('rest:http://127.0.0.1:8000/node');
    expect(wrapper.get('[data-test=key-state]').text()).toContain('confirmed');
    expect(wrapper.get('[data-test=last-result]').text()).toContain('Succeeded');
    expect(wrapper.get('[data-test=next-run]').text()).not.toContain('Not scheduled');
    expect(wrapper.get('[data-test=channel-backup]').text()).toContain('copied');
    expect(wrapper.get('[data-test=snapshot-list]').text()).toContain('lnd 0.21.2-beta');
    wrapper.unmount();
  });

  it('without a target says how to set one up and cannot back up', async () => {
    daemon({ keyConfirmed: false });
    const wrapper = mount(BackupsView);
    await flushPromises();
    expect(wrapper.get('[data-test=backup-no-target]').text()).toContain('archy backup init --to');
    expect(wrapper.get<HTMLButtonElement>('[data-test=backup-now]').element.disabled).toBe(true);
    wrapper.unmount();
  });

  it('backs up now with a progress bar fed by backup.progress, then shows the new snapshot', async () => {
    let finish: (value: BackupSnapshotInfo) => void = () => undefined;
    const call = daemon(configured, {
      'backup.create': () => new Promise<BackupSnapshotInfo>((resolve) => (finish = resolve)),
    });
    const wrapper = mount(BackupsView);
    await flushPromises();
    await wrapper.get('[data-test=backup-now]').trigger('click');
    expect(call).toHaveBeenCalledWith('backup.create', {});
    useBackups().applyEvent({
      event: 'backup.progress',
      data: { job: 'create', phase: 'snapshot', app: 'lnd', percent: 40, startedAt: '' },
    });
    await flushPromises();
    const bar = wrapper.get('[data-test=backup-progress] [role=progressbar]');
    expect(bar.attributes('aria-valuenow')).toBe('40');
    expect(wrapper.get('[data-test=backup-progress]').text()).toContain('snapshot lnd · 40 %');
    finish(snapshot);
    await flushPromises();
    expect(wrapper.find('[data-test=backup-progress]').exists()).toBe(false);
    expect(wrapper.get('[data-test=backup-notice]').text()).toContain('bbbbbbbb');
    wrapper.unmount();
  });

  it("shows the daemon's refusal in its own words", async () => {
    daemon(configured, {
      'backup.create': () => {
        throw new RpcError(-32008, 'a verify job is running; try again when it ends');
      },
    });
    const wrapper = mount(BackupsView);
    await flushPromises();
    await wrapper.get('[data-test=backup-now]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-test=backup-error]').text()).toBe(
      'a verify job is running; try again when it ends',
    );
    wrapper.unmount();
  });

  it('saves the schedule through backup.schedule', async () => {
    const call = daemon(configured);
    const wrapper = mount(BackupsView);
    await flushPromises();
    await wrapper.get('[data-test=schedule-at]').setValue('04:15');
    await wrapper.get('[data-test=schedule-form]').trigger('submit');
    await flushPromises();
    expect(call).toHaveBeenCalledWith(
      'backup.schedule',
      expect.objectContaining({ every: null, at: '04:15' }),
    );
    wrapper.unmount();
  });

  it('asks before a restore, then calls backup.restore with the snapshot', async () => {
    const call = daemon(configured, {
      'backup.restore': () => ({ job: 'restore', ok: true, startedAt: '', finishedAt: '', apps: ['lnd'] }),
    });
    const wrapper = mount(BackupsView, { attachTo: document.body });
    await flushPromises();
    await wrapper.get('[data-test=restore]').trigger('click');
    expect(wrapper.text()).toContain('Restore this snapshot?');
    await wrapper.get('[data-test=confirm]').trigger('click');
    await flushPromises();
    expect(call).toHaveBeenCalledWith('backup.restore', { snapshot: snapshot.id });
    expect(wrapper.get('[data-test=backup-notice]').text()).toContain('Restored lnd');
    wrapper.unmount();
  });
});
