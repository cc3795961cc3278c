import type { OsStatus } from '@archipelago/core/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { RpcError } from '../api/container-client';
import OsSystemCard from './OsSystemCard.vue';

// The settings card for the node's own system (Archipelago OS): what runs, an update on its way,
// a fallback and its reason, and an update from a URL through `os.update`. The daemon's answers
// are tested in core (src/os-image) and in the VM (os/test/boot.test.ts); a stand-in answers here.

const RUNNING: OsStatus = {
  supported: true,
  version: '0.2.0',
  slot: 'a',
  otherSlot: { slot: 'b' },
  rebootPending: false,
  lastBoot: {
    slot: 'a',
    version: '0.2.0',
    counted: false,
    result: 'ok',
    at: '2026-12-07T10:00:00Z',
    thisBoot: true,
  },
  ssh: { enabled: false, keys: [] },
};

// The stand-in answers with the node's state as the test sets it, never by the order of calls:
// the card asks again on a timer, and under load a tick may come between two steps of a test.
function mountCard(answer: (method: string) => OsStatus) {
  const call = vi.fn(async (method: string, _params: object) => answer(method));
  const wrapper = mount(OsSystemCard, { props: { api: { call } as never, pollMs: 5 } });
  return { wrapper, call };
}

describe('OsSystemCard', () => {
  it('shows the running version and slot, and sends an update with the restart choice', async () => {
    const downloading: OsStatus = {
      ...RUNNING,
      download: {
        state: 'downloading',
        url: 'https://r.example/os.tar',
        bytes: 50 * 1048576,
        total: 300 * 1048576,
        reboot: true,
        at: '',
      },
    };
    const written: OsStatus = {
      ...RUNNING,
      otherSlot: { slot: 'b', version: '0.3.0' },
      rebootPending: true,
      lastUpdate: { state: 'applied', version: '0.3.0', slot: 'b', at: '' },
    };
    let node = RUNNING;
    const { wrapper, call } = mountCard((method) => {
      if (method === 'os.update') node = downloading;
      return node;
    });
    await flushPromises();
    expect(call).toHaveBeenCalledWith('os.status', {});
    expect(wrapper.get('[data-test=os-version]').text()).toContain('Archipelago OS 0.2.0 · slot a');
    expect(wrapper.get('[data-test=os-last-boot]').text()).toContain('Boot check of 0.2.0: ok');

    await wrapper.get('[data-test=os-update-url]').setValue(' https://r.example/os.tar ');
    await wrapper.get('[data-test=os-update-form]').trigger('submit');
    await flushPromises();
    expect(call).toHaveBeenCalledWith('os.update', { url: 'https://r.example/os.tar', reboot: true });
    expect(wrapper.get('[data-test=os-download]').text()).toBe('Downloading 50 MiB of 300 MiB…');
    expect(wrapper.get('[data-test=os-update]').attributes('disabled')).toBeDefined();
    // It asks again while the update is on its way, until it is written.
    node = written;
    await vi.waitFor(() => expect(wrapper.find('[data-test=os-reboot-pending]').exists()).toBe(true));
    expect(wrapper.get('[data-test=os-reboot-pending]').text()).toBe(
      '0.3.0 is written and runs after the next restart.',
    );
    expect(wrapper.get('[data-test=os-last-update]').text()).toContain('0.3.0 → slot b: applied');
  });

  it('says when the node fell back, and why', async () => {
    const { wrapper } = mountCard(() => ({
      ...RUNNING,
      fellBack: {
        from: { slot: 'b', version: '0.3.0' },
        to: { slot: 'a', version: '0.2.0' },
        reason: 'archipelago.service failed or kept crashing (journalctl -u archipelago)',
      },
    }));
    await flushPromises();
    expect(wrapper.get('[data-test=os-fell-back]').text()).toBe(
      '0.3.0 did not come up, so the node went back to 0.2.0: archipelago.service failed or kept crashing (journalctl -u archipelago)',
    );
  });

  it('on another system, says so and offers no update', async () => {
    const { wrapper } = mountCard(() => ({
      supported: false,
      reason: 'no archy.slot= on the kernel command line',
    }));
    await flushPromises();
    expect(wrapper.get('[data-test=os-unsupported]').text()).toContain(
      'no archy.slot= on the kernel command line',
    );
    expect(wrapper.find('[data-test=os-update-form]').exists()).toBe(false);
  });

  it('says whether SSH is on, for which keys, and the host key the first login shows', async () => {
    const { wrapper } = mountCard(() => ({
      ...RUNNING,
      ssh: {
        enabled: true,
        keys: [
          { type: 'ssh-ed25519', fingerprint: 'SHA256:owner', comment: 'owner laptop' },
          { type: 'ssh-rsa', fingerprint: 'SHA256:spare' },
        ],
        hostKey: 'SHA256:host',
      },
    }));
    await flushPromises();
    expect(wrapper.get('[data-test=os-ssh-state]').text()).toBe(
      'SSH is on for the user archy with 2 keys: ssh archy@archipelago.local',
    );
    expect(wrapper.findAll('[data-test=os-ssh-key]').map((key) => key.text())).toEqual([
      'SHA256:owner owner laptop',
      'SHA256:spare ssh-rsa',
    ]);
    expect(wrapper.get('[data-test=os-ssh-host-key]').text()).toContain('SHA256:host');
  });

  it('says SSH is off and how the owner turns it on', async () => {
    const { wrapper } = mountCard(() => RUNNING);
    await flushPromises();
    expect(wrapper.get('[data-test=os-ssh-state]').text()).toMatch(
      /^SSH is off\. .*archipelago-ssh\.txt on its boot partition/,
    );
    expect(wrapper.find('[data-test=os-ssh-key]').exists()).toBe(false);
  });

  it("shows the daemon's refusal in its own words", async () => {
    const { wrapper } = mountCard((method) => {
      if (method === 'os.update')
        throw new RpcError(
          -32602,
          'ftp: is not supported for an OS update; use http://, https:// or a file on the node',
        );
      return RUNNING;
    });
    await flushPromises();
    await wrapper.get('[data-test=os-update-url]').setValue('ftp://x/os.tar');
    await wrapper.get('[data-test=os-update-form]').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-test=os-error]').text()).toContain('ftp: is not supported for an OS update');
  });
});
