import { describe, expect, it } from 'vitest';
import { bundleUrl, formatOsStatus } from './os.js';

describe('formatOsStatus', () => {
  it('says the node fell back and why', () => {
    const text = formatOsStatus({
      supported: true,
      version: '0.2.0',
      slot: 'a',
      otherSlot: { slot: 'b', version: '0.3.0' },
      rebootPending: false,
      ssh: { enabled: false, keys: [] },
      fellBack: {
        from: { slot: 'b', version: '0.3.0' },
        to: { slot: 'a', version: '0.2.0' },
        reason: '0.3.0 did not come up: archipelago.service failed (journalctl -u archipelago)',
      },
    });
    expect(text).toContain('Archipelago OS 0.2.0 (slot a)');
    expect(text).toContain(
      'fell back to 0.2.0 (slot a): 0.3.0 did not come up: archipelago.service failed (journalctl -u archipelago)',
    );
    expect(text).toContain('ssh: off (to turn it on, put your public key in archipelago-ssh.txt');
  });

  it('says a written update waits for a restart, and names an unsupported host', () => {
    const text = formatOsStatus({
      supported: true,
      version: '0.2.0',
      slot: 'a',
      otherSlot: { slot: 'b', version: '0.3.0' },
      rebootPending: true,
      lastUpdate: { state: 'applied', version: '0.3.0', slot: 'b', at: '2026-12-07T10:05:12Z' },
      ssh: { enabled: false, keys: [] },
    });
    expect(text).toContain('other slot (b): 0.3.0 — restart to run it');
    expect(formatOsStatus({ supported: false, reason: 'not booted from a slot' })).toBe(
      'not Archipelago OS: not booted from a slot',
    );
  });

  it('names the keys SSH is on for, and the host key to expect at the first login', () => {
    const text = formatOsStatus({
      supported: true,
      version: '0.2.0',
      slot: 'a',
      otherSlot: { slot: 'b' },
      rebootPending: false,
      ssh: {
        enabled: true,
        keys: [
          { type: 'ssh-ed25519', fingerprint: 'SHA256:owner', comment: 'owner laptop' },
          { type: 'ssh-rsa', fingerprint: 'SHA256:spare' },
        ],
        hostKey: 'SHA256:host',
      },
    });
    expect(text.split('\n').slice(-3)).toEqual([
      'ssh: on for archy with 2 keys; host key SHA256:host',
      '  ssh-ed25519 SHA256:owner owner laptop',
      '  ssh-rsa SHA256:spare',
    ]);
  });
});

describe('bundleUrl', () => {
  it('keeps http(s) URLs and turns an existing file into a file: URL of its absolute path', () => {
    expect(bundleUrl('https://releases.example/os.tar')).toBe('https://releases.example/os.tar');
    expect(bundleUrl('package.json')).toMatch(/^file:\/\/\/.*\/package\.json$/);
    expect(() => bundleUrl('no-such-bundle.tar')).toThrow(/does not exist/);
  });
});
