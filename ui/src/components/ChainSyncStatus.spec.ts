import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ChainSyncStatus from './ChainSyncStatus.vue';

const base = {
  chain: 'main',
  blocks: 612_000,
  headers: 870_000,
  verificationProgress: 0.4213,
  initialBlockDownload: true,
  pruned: false,
  at: new Date().toISOString(),
};

describe('ChainSyncStatus', () => {
  it('shows how far a node in initial block download is', () => {
    const wrapper = mount(ChainSyncStatus, { props: { sync: base } });
    const text = wrapper.text().replace(/\s+/g, ' ');
    expect(text).toContain('42.1 % verified');
    expect(text).toContain(`block ${(612_000).toLocaleString()} of ${(870_000).toLocaleString()}`);
    expect(text).toContain('mainnet · initial block download');
    const bar = wrapper.get('[role="progressbar"]');
    expect(bar.attributes('aria-valuenow')).toBe('42');
    expect(bar.attributes('aria-label')).toBe('Blockchain verified: 42.1 %');
  });

  it('shows a synced, pruned node at its tip', () => {
    const wrapper = mount(ChainSyncStatus, {
      props: {
        sync: {
          ...base,
          chain: 'signet',
          blocks: 200_000,
          headers: 200_000,
          verificationProgress: 0.99999,
          initialBlockDownload: false,
          pruned: true,
        },
      },
    });
    const text = wrapper.text().replace(/\s+/g, ' ');
    expect(text).toContain('100 % verified');
    expect(text).toContain(`block ${(200_000).toLocaleString()} · signet`);
    expect(text).toContain('signet · in sync · pruned');
  });
});
