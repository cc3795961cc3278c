import { describe, expect, it } from 'vitest';
import { channelBackupLocation, lnddirOf, runsLnd } from './channel-backup-path.js';

const volume = (mount: string, name: string) => ({ mount, name, readOnly: false });

describe('channelBackupLocation', () => {
  it('finds the lnddir in the volume mounted there (the bundled LND manifest)', () => {
    const command = ['set -eu\nexec lnd --lnddir=/data \\\n  --listen=0.0.0.0:9735'];
    expect(channelBackupLocation({ command, volumes: [volume('/data', 'lnd')] })).toEqual({
      volume: 'lnd',
      chainDir: 'data/chain/bitcoin',
    });
  });
  it('takes the innermost volume holding an lnddir below its mount', () => {
    const command = ['lnd', '--lnddir', '/srv/lnd/home'];
    const volumes = [volume('/srv', 'all'), volume('/srv/lnd', 'lnd')];
    expect(channelBackupLocation({ command, volumes })).toEqual({
      volume: 'lnd',
      chainDir: 'home/data/chain/bitcoin',
    });
  });
  it('says none when no volume holds the lnddir (nothing would survive a recreate anyway)', () => {
    expect(channelBackupLocation({ command: ['lnd'], volumes: [volume('/data', 'lnd')] })).toBeUndefined();
    expect(lnddirOf(['lnd'])).toBe('/root/.lnd');
  });
});

describe('runsLnd', () => {
  it('is the bundled lnd, or any app whose command names an lnddir', () => {
    expect(runsLnd({ id: 'lnd' })).toBe(true);
    expect(runsLnd({ id: 'lightning', command: ['lnd', '--lnddir=/data/.lnd'] })).toBe(true);
    expect(runsLnd({ id: 'hello', command: ['httpd', '-f'] })).toBe(false);
  });
});
