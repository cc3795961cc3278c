import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import BackupScheduleForm from './BackupScheduleForm.vue';

describe('BackupScheduleForm', () => {
  it('offers daily at 03:00 with the default retention before any schedule is set', async () => {
    const wrapper = mount(BackupScheduleForm, { props: { report: { schedule: null }, busy: false } });
    expect(wrapper.get<HTMLInputElement>('[data-test=schedule-at]').element.value).toBe('03:00');
    expect(wrapper.get('[data-test=save-schedule]').text()).toBe('Turn on scheduled backups');
    expect(wrapper.find('[data-test=schedule-off]').exists()).toBe(false);
    await wrapper.get('form').trigger('submit');
    expect(wrapper.emitted('save')?.[0]).toEqual([
      {
        enabled: true,
        every: null,
        at: '03:00',
        includeChain: false,
        retention: { keepLast: 0, keepDaily: 7, keepWeekly: 4, keepMonthly: 12 },
      },
    ]);
  });

  it('shows an interval schedule and sends the change the user makes', async () => {
    const wrapper = mount(BackupScheduleForm, {
      props: {
        report: { schedule: { enabled: true, every: 360, includeChain: false, retention: { keepLast: 5 } } },
        busy: false,
      },
    });
    expect(wrapper.get<HTMLSelectElement>('[data-test=schedule-kind]').element.value).toBe('hours');
    expect(wrapper.get<HTMLInputElement>('[data-test=schedule-hours]').element.value).toBe('6');
    await wrapper.get('[data-test=schedule-hours]').setValue('12');
    await wrapper.get('[data-test=keep-last]').setValue('10');
    await wrapper.get('[data-test=include-chain]').setValue(true);
    await wrapper.get('form').trigger('submit');
    expect(wrapper.emitted('save')?.[0]).toEqual([
      {
        enabled: true,
        every: 720,
        includeChain: true,
        retention: { keepLast: 10, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 },
      },
    ]);
    await wrapper.get('[data-test=schedule-off]').trigger('click');
    expect(wrapper.emitted('save')?.[1]).toEqual([{ enabled: false }]);
  });

  it('cannot be saved while busy or with a bad number', async () => {
    const wrapper = mount(BackupScheduleForm, { props: { report: undefined, busy: true } });
    const save = wrapper.get<HTMLButtonElement>('[data-test=save-schedule]');
    expect(save.element.disabled).toBe(true);
    await wrapper.setProps({ busy: false });
    expect(save.element.disabled).toBe(false);
    await wrapper.get('[data-test=keep-daily]').setValue('-1');
    expect(save.element.disabled).toBe(true);
  });
});
