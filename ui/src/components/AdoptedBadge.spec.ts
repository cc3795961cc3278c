import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import AdoptedBadge from './AdoptedBadge.vue';

describe('AdoptedBadge', () => {
  it('says the app runs on Parmanode data in place, where, and how to give it back', () => {
    const wrapper = mount(AdoptedBadge, {
      props: {
        adopted: {
          source: { kind: 'parmanode', home: '/home/parman', entry: 'bitcoin' },
          volumes: { bitcoin: '/media/parman/parmanode/.bitcoin' },
          originalOwner: { uid: 1000, gid: 1000 },
          hostServices: [{ kind: 'systemd', name: 'bitcoind.service' }],
          adoptedAt: '2026-12-06T20:00:00.000Z',
        },
      },
    });
    const badge = wrapper.get('[data-test=adopted-badge]');
    expect(badge.text()).toBe('Adopted from Parmanode · data in /media/parman/parmanode/.bitcoin');
    expect(badge.attributes('title')).toContain('archy parmanode release');
  });
});
