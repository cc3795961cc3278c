// A Bitcoin node's Tor mode through a real daemon, real rootless Podman, real Tor (DisableNetwork 1:
// nothing leaves this machine) and the bitcoind TEST DOUBLE: installed with the bundled manifest's
// `tor: {default: tor}` it runs with exactly bitcoind's Tor flags, the control password reaches
// bitcoind through the secret prelude but never appears in `podman inspect`, and its own Tor runs
// beside it; `archy config bitcoin-core --tor off` recreates it without any of that.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfigReport, AppStatus } from '../../src/api/contract.js';
import { tempDataDir, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { holdBitcoinAppsForFile, writeBitcoinApps } from '../daemon/bitcoin-apps.js';
import { mainArgv, runningArgv } from './argv.js';

holdBitcoinAppsForFile();

const ID = 'bitcoin-core';
const CONTAINER = `archy-${ID}`;
const SIDECAR = `${CONTAINER}.tor`;

// The design's flags for regtest (P2P 18444, onion bind 18445), the password as its reference.
const TOR_FLAGS = [
  '-proxy=127.0.0.1:9050',
  '-listen=1',
  '-listenonion=1',
  '-torcontrol=127.0.0.1:9051',
  '-torpassword=${ARCHY_TOR_CONTROL_PASSWORD}',
  '-bind=0.0.0.0:18444',
  '-bind=127.0.0.1:18445=onion',
];
const isTorFlag = (arg: string) =>
  /^-(proxy|listen|listenonion|torcontrol|torpassword|bind|onion)=/.test(arg);

const healthy = (daemon: TestDaemon, what: string) =>
  waitFor(
    async () => {
      const status = await daemon.cliJson<AppStatus>(['status', ID]);
      return status.state === 'running' && status.health === 'healthy' ? status : undefined;
    },
    { what, timeoutMs: 180_000, intervalMs: 500 },
  );

const sidecarState = async (): Promise<string> =>
  (await podman(['inspect', '--format', '{{.State.Status}}', SIDECAR]).catch(() => 'missing')).trim();

describe('a Bitcoin node on its own Tor', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startDaemon({
      dataDir: tempDataDir('tor-bitcoin'),
      env: { ARCHY_APPS_DIR: await writeBitcoinApps({ tor: true }), ARCHY_TOR_DISABLE_NETWORK: '1' },
    });
  });
  afterAll(async () => {
    await daemon?.cli(['remove', ID, '--purge', '--yes'], { timeoutMs: 120_000 });
    await daemon?.stop();
  });

  it('installs in tor mode with exactly bitcoind’s Tor flags, the password nowhere in inspect', async () => {
    const installed = await daemon.cli(['install', ID, '--network', 'regtest'], { timeoutMs: 300_000 });
    expect(installed.code, installed.stderr).toBe(0);
    await healthy(daemon, 'the node healthy on Tor');

    const argv = await mainArgv(CONTAINER);
    expect(argv.filter(isTorFlag), JSON.stringify(argv)).toEqual(TOR_FLAGS);

    // What bitcoind really got: the prelude put the app's generated password in place.
    const password = (await podman(['exec', CONTAINER, 'cat', '/run/secrets/tor-control-password'])).trim();
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    const running = await runningArgv(CONTAINER, 'bitcoind');
    expect(running).toContain(`-torpassword=${password}`);
    expect(running).toContain('-proxy=127.0.0.1:9050');

    for (const name of [CONTAINER, SIDECAR]) {
      const inspect = await podman(['inspect', name]).catch(() => '');
      expect(inspect, `podman inspect ${name}`).not.toContain(password);
    }
    expect(await sidecarState()).toBe('running');

    const status = await daemon.cli(['status', ID]);
    expect(status.stdout).toContain('mode tor');
  });

  it('switches to clearnet: recreated without the flags, saying what that changes', async () => {
    const switched = await daemon.cli(['config', ID, '--tor', 'off', '--json'], { timeoutMs: 300_000 });
    expect(switched.code, switched.stderr).toBe(0);
    const config = JSON.parse(switched.stdout) as AppConfigReport;
    expect(config.torChange).toMatchObject({ mode: 'clearnet', changed: true });
    expect(config.message).toContain('IP address');
    await healthy(daemon, 'the node healthy on clearnet');

    const argv = await mainArgv(CONTAINER);
    expect(argv.filter(isTorFlag)).toEqual([]);
    expect(argv.join(' ')).not.toContain('9050');
    // No onion and clearnet: the app needs no Tor of its own.
    await waitFor(async () => (await sidecarState()) === 'missing', {
      what: 'the sidecar gone',
      timeoutMs: 30_000,
    });
    expect((await daemon.cli(['status', ID])).stdout).toContain('mode clearnet');

    const again = await daemon.cliJson<AppConfigReport>(['config', ID, '--tor', 'off']);
    expect(again.torChange).toMatchObject({ mode: 'clearnet', changed: false });
  });
});
