import { describe, expect, it } from 'vitest';
import { parseInstalledConf, parseParmanodeConf } from './parmanode-conf.js';

describe('parseInstalledConf', () => {
  it('reads finished and unfinished installs, one per app', () => {
    const text = 'parmanode-end\nbitcoin-start\nbitcoin-end\ndocker-end\nelectrs-start\n\n# note\nrandom\n';
    expect(parseInstalledConf(text)).toEqual([
      { app: 'parmanode', state: 'installed' },
      { app: 'bitcoin', state: 'installed' },
      { app: 'docker', state: 'installed' },
      { app: 'electrs', state: 'unfinished' },
    ]);
  });

  it('keeps a hyphen inside an app name (electrs2-end, btcpay-tor-end)', () => {
    expect(parseInstalledConf('btcpay-tor-end\r\n')).toEqual([{ app: 'btcpay-tor', state: 'installed' }]);
  });
});

describe('parseParmanodeConf', () => {
  it('reads key=value lines, strips quotes, the last one wins', () => {
    const text =
      'drive=internal\ndrive=external\ndrive_electrs="external"\nexport prune_value=550\n#x=1\nnot a line\n';
    expect(parseParmanodeConf(text)).toEqual({
      drive: 'external',
      drive_electrs: 'external',
      prune_value: '550',
    });
  });
});
