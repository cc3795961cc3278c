import { describe, expect, it } from 'vitest';
import { formatConnection, formatRotation } from './credentials.js';

describe('archy connection', () => {
  it('prints endpoints and credentials, a hidden secret saying how to show it', () => {
    const text = formatConnection({
      id: 'bitcoin-core',
      host: '192.168.1.5',
      interfaces: [
        {
          name: 'bitcoin-node',
          endpoints: [{ name: 'RPC (this machine only)', url: 'http://127.0.0.1:8332' }],
          credentials: [
            { name: 'RPC user', secret: false, value: 'archipelago' },
            { name: 'RPC password', secret: true },
          ],
        },
      ],
    });
    expect(text.split('\n')).toEqual([
      'bitcoin-node',
      '  RPC (this machine only): http://127.0.0.1:8332',
      '  RPC user: archipelago',
      '  RPC password: (hidden: add --reveal)',
    ]);
  });

  it("says whose login a dependent's entry is, and indents a certificate", () => {
    const text = formatConnection({
      id: 'lnd',
      host: 'node.local',
      interfaces: [
        {
          name: 'bitcoin-node',
          provider: 'bitcoin-core',
          endpoints: [],
          credentials: [{ name: 'TLS certificate', secret: false, value: 'line 1\nline 2\n' }],
        },
      ],
    });
    expect(text).toBe('bitcoin-node (its login at bitcoin-core)\n  TLS certificate:\n    line 1\n    line 2');
  });
});

describe('archy credentials rotate', () => {
  it('names the new login and what was restarted', () => {
    expect(
      formatRotation({
        id: 'lnd',
        rotated: [{ interface: 'bitcoin-node', provider: 'bitcoin-core', user: 'archy-lnd' }],
        restarted: ['bitcoin-core', 'lnd'],
      }),
    ).toBe(
      'lnd: new RPC password for archy-lnd at bitcoin-core (bitcoin-node)\nrecreated/restarted: bitcoin-core, lnd',
    );
  });
});
