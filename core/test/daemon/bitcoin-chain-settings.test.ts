// A Bitcoin node's install-time choices through a real daemon, real rootless Podman and the
// bitcoind TEST DOUBLE (which refuses what bitcoind refuses: going back to unpruned without
// -reindex, an invalid chain combination): --network and --prune at install, pruning changed
// later (off only with the user's typed confirmation, and then with a one-time -reindex), and
// data kept from one chain never reused for another.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfigReport, AppStatus } from '../../src/api/contract.js';
import { freePort, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { holdBitcoinAppsForFile, writeBitcoinApps } from './bitcoin-apps.js';
import { expectNothingLeft } from './leftovers.js';
import { writeHelloManifest } from './manifests.js';

holdBitcoinAppsForFile();

const command = async (): Promise<string[]> =>
  JSON.parse(await podman(['inspect', '--format', '{{json .Config.Cmd}}', 'archy-bitcoin-core'])) as string[];

const healthy = (daemon: TestDaemon, what: string) =>
  waitFor(
    async () => {
      const status = await daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
      return status.state === 'running' && status.health === 'healthy' ? status : undefined;
    },
    { what, timeoutMs: 120_000, intervalMs: 500 },
  );

describe('a Bitcoin node’s chain and pruning', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startDaemon({
      dataDir: tempDataDir('chain'),
      env: { ARCHY_APPS_DIR: await writeBitcoinApps() },
    });
  });
  afterAll(async () => {
    await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
    await daemon?.stop();
  });

  it('installs on the chosen chain with pruning, and says so', async () => {
    const refused = await daemon.cli(['install', 'bitcoin-core', '--prune', '0.5']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("expected a whole number of GB (at least 1) or 'off'");

    const installed = await daemon.cli(['install', 'bitcoin-core', '--network', 'regtest', '--prune', '2'], {
      timeoutMs: 180_000,
    });
    expect(installed.code, installed.stderr).toBe(0);
    const status = await daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
    expect(status.bitcoin).toEqual({ network: 'regtest', prune: 2 });
    expect(await command()).toEqual(expect.arrayContaining(['-chain=regtest', '-prune=1907']));
    expect(await command()).not.toContain('-regtest');
    expect((await daemon.cli(['status', 'bitcoin-core'])).stdout).toContain(
      'chain:     regtest, pruned to 2 GB',
    );
    const config = await daemon.cliJson<AppConfigReport>(['config', 'bitcoin-core', '--auto-update', 'off']);
    expect(config.prune).toBe(2);
  });

  it('resizes pruning with a restart, and turns it off only when the re-download is confirmed', async () => {
    const resized = await daemon.cliJson<AppConfigReport>(['config', 'bitcoin-core', '--prune', '3']);
    expect(resized).toMatchObject({ prune: 3, message: expect.stringContaining('-prune=2861') });
    await healthy(daemon, 'the node back after resizing');
    expect(await command()).toContain('-prune=2861');

    const refused = await daemon.cli(['config', 'bitcoin-core', '--prune', 'off']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('downloading and verifying the whole chain again');
    expect(refused.stderr).toContain('--confirm-resync bitcoin-core');
    expect(await command()).toContain('-prune=2861');

    const off = await daemon.cliJson<AppConfigReport>([
      'config',
      'bitcoin-core',
      '--prune',
      'off',
      '--confirm-resync',
      'bitcoin-core',
    ]);
    expect(off.prune).toBeUndefined();
    expect(off.message).toContain('-reindex');
    const status = await healthy(daemon, 'the node unpruned after its one-time reindex');
    expect(status.bitcoin).toEqual({ network: 'regtest' });
    // The one-time -reindex is dropped once the node was healthy with it (as after a downgrade).
    await waitFor(async () => !(await command()).includes('-reindex'), {
      what: 'the container recreated without -reindex',
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    expect((await command()).some((arg) => arg.startsWith('-prune'))).toBe(false);
  });

  it('never puts another chain on kept data', async () => {
    expect((await daemon.cli(['remove', 'bitcoin-core'])).code).toBe(0);
    const other = await daemon.cli(['install', 'bitcoin-core', '--network', 'signet']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(
      /holds a regtest chain, so 'bitcoin-core' cannot be installed for signet on it/,
    );
    expect(other.stderr).toContain('install with --network regtest');
    // Nothing was created, and the kept data is untouched: installing for its chain works.
    expect((await daemon.cliJson<AppStatus[]>(['list'])).map((a) => a.id)).not.toContain('bitcoin-core');
    const same = await daemon.cli(['install', 'bitcoin-core', '--network', 'regtest'], {
      timeoutMs: 180_000,
    });
    expect(same.code, same.stderr).toBe(0);
  });

  it('refuses the choices for an app that is no Bitcoin node', async () => {
    const id = uniqueAppId('not-a-node');
    const file = writeHelloManifest(tempDataDir('not-a-node'), { id, hostPort: await freePort() });
    const refused = await daemon.cli(['install', file, '--network', 'signet']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`'${id}' is not a Bitcoin node`);
    await expectNothingLeft(daemon, id);
  });
});
