import type { ImageProgress } from '@archipelago/core/contract';
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ImageProgressPanel from './ImageProgressPanel.vue';

const tarball = 'bitcoin-31.1-x86_64-linux-gnu.tar.gz';
const progress = (patch: Partial<ImageProgress>): ImageProgress => ({
  id: 'bitcoin-core',
  version: '31.1',
  phase: 'download',
  detail: tarball,
  file: tarball,
  ...patch,
});

describe('ImageProgressPanel', () => {
  it('a download with a size: a bar with its percentage, bytes of total, rate and time left', () => {
    const wrapper = mount(ImageProgressPanel, {
      props: {
        progress: progress({
          bytes: 60_000_000,
          total: 150_000_000,
          rateBytesPerSecond: 2_500_000,
          etaSeconds: 36,
        }),
      },
    });
    expect(wrapper.get('[data-test=image-step]').text()).toBe('Downloading the official release');
    expect(wrapper.get('[data-test=image-step]').attributes('aria-live')).toBe('polite');
    expect(wrapper.get('[data-test=image-detail]').text()).toBe(tarball);
    const bar = wrapper.get('[role=progressbar]');
    expect(bar.attributes('aria-valuenow')).toBe('40');
    expect(bar.attributes('aria-valuetext')).toBe('60.0 MB of 150 MB, 36 s left');
    expect(bar.attributes('aria-label')).toBe('Downloading the official release');
    expect(bar.classes()).not.toContain('indeterminate');
    expect(wrapper.get('[data-test=image-amount]').text()).toBe('60.0 MB of 150 MB');
    expect(wrapper.get('[data-test=image-rate]').text()).toBe('2.5 MB/s');
    expect(wrapper.get('[data-test=image-eta]').text()).toBe('36 s left');
    expect(wrapper.get('[data-test=image-numbers]').text()).toContain('40 %');
  });

  it('a download without a size: an indeterminate bar, the bytes so far and the rate', () => {
    const wrapper = mount(ImageProgressPanel, {
      props: { progress: progress({ bytes: 12_345_678, rateBytesPerSecond: 900_000 }) },
    });
    const bar = wrapper.get('[role=progressbar]');
    expect(bar.classes()).toContain('indeterminate');
    expect(bar.attributes('aria-valuenow')).toBeUndefined();
    expect(bar.attributes('aria-valuetext')).toBe('12.3 MB so far');
    expect(wrapper.get('[data-test=image-amount]').text()).toBe('12.3 MB so far');
    expect(wrapper.get('[data-test=image-rate]').text()).toBe('900 KB/s');
    expect(wrapper.find('[data-test=image-eta]').exists()).toBe(false);
    expect(wrapper.get('[data-test=image-numbers]').text()).not.toContain('%');
  });

  it('other phases: the step in words, the detail, a busy bar and no numbers', async () => {
    const wrapper = mount(ImageProgressPanel, {
      props: { progress: progress({ phase: 'keys', detail: 'keys of 5 pinned builders', file: undefined }) },
    });
    expect(wrapper.get('[data-test=image-step]').text()).toBe('Fetching the builders’ signing keys');
    expect(wrapper.get('[data-test=image-detail]').text()).toBe('Keys of 5 pinned builders');
    expect(wrapper.get('[role=progressbar]').classes()).toContain('indeterminate');
    expect(wrapper.find('[data-test=image-numbers]').exists()).toBe(false);
    expect(wrapper.attributes('data-phase')).toBe('keys');

    await wrapper.setProps({
      progress: progress({ phase: 'verify', detail: `SHA-256 of ${tarball}`, file: undefined }),
    });
    expect(wrapper.get('[data-test=image-step]').text()).toBe('Verifying the download');
    expect(wrapper.get('[data-test=image-detail]').text()).toBe(`SHA-256 of ${tarball}`);

    await wrapper.setProps({
      progress: progress({ phase: 'build', detail: 'building localhost/x:31.1', file: undefined }),
    });
    expect(wrapper.get('[data-test=image-step]').text()).toBe('Building the image on this node');

    await wrapper.setProps({
      progress: progress({
        phase: 'sbom',
        detail: 'listing and hashing every file of the image',
        file: undefined,
      }),
    });
    expect(wrapper.get('[data-test=image-step]').text()).toBe('Listing what the image contains (SBOM)');
  });
});
