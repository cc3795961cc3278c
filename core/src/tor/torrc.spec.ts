import { describe, expect, it } from 'vitest';
import { renderTorrc } from './torrc.js';
import { hashControlPassword } from './control-password.js';

describe('renderTorrc', () => {
  const hash = hashControlPassword('secret', Buffer.alloc(8, 1));

  it('writes SOCKS, control port, data dir, each onion and DisableNetwork', () => {
    const text = renderTorrc({
      socks: true,
      hashedControlPassword: hash,
      onions: [
        { name: 'p2p', virtualPort: 8333, target: '127.0.0.1:8334' },
        { name: 'port-8080', virtualPort: 80, target: '127.0.0.1:8080' },
      ],
      disableNetwork: true,
    });
    expect(text.split('\n').filter((line) => !line.startsWith('#'))).toEqual([
      'SocksPort 127.0.0.1:9050',
      'ControlPort 127.0.0.1:9051',
      `HashedControlPassword ${hash}`,
      'DataDirectory /var/lib/tor/data',
      'Log notice stdout',
      'AvoidDiskWrites 1',
      'HiddenServiceDir /var/lib/tor/onions/p2p',
      'HiddenServicePort 8333 127.0.0.1:8334',
      'HiddenServiceDir /var/lib/tor/onions/port-8080',
      'HiddenServicePort 80 127.0.0.1:8080',
      'DisableNetwork 1',
      '',
    ]);
  });

  it('turns SOCKS off for onions only, and leaves out the control port and DisableNetwork when not asked', () => {
    const text = renderTorrc({
      socks: false,
      onions: [{ name: 'web', virtualPort: 80, target: 'unix:/var/lib/tor/run/ui.sock' }],
      disableNetwork: false,
    });
    expect(text).toMatch(/^SocksPort 0$/m);
    expect(text).toMatch(/^HiddenServicePort 80 unix:\/var\/lib\/tor\/run\/ui\.sock$/m);
    expect(text).not.toMatch(/ControlPort|HashedControlPassword|DisableNetwork/);
  });

  it('refuses values that would add lines of their own', () => {
    const base = { socks: true, disableNetwork: true };
    expect(() =>
      renderTorrc({
        ...base,
        onions: [{ name: 'x\nControlPort 0.0.0.0:1', virtualPort: 1, target: '127.0.0.1:1' }],
      }),
    ).toThrow(/not an onion service name/);
    expect(() =>
      renderTorrc({
        ...base,
        onions: [{ name: 'x', virtualPort: 1, target: '127.0.0.1:1\nSocksPort 0.0.0.0:9' }],
      }),
    ).toThrow(/not an onion service target/);
    expect(() =>
      renderTorrc({ ...base, onions: [], hashedControlPassword: '16:AB\nControlPort 0.0.0.0:1' }),
    ).toThrow(/hash/);
  });
});
