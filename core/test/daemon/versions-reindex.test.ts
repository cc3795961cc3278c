// A version change that needs a reindex passes -reindex(-chainstate) to the first start only: once
// the node was healthy, the daemon recreates the container without it, so no later restart — the
// user's, the supervisor's, a reboot's — rebuilds the databases again. Uses the bitcoind TEST
// DOUBLE (regtest), which logs each start's arguments ("Command-line arg: …", as bitcoind does) and
// what a reindex does ("Wiping LevelDB …") in debug.log.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, VersionChangeResult } from '../../src/api/contract.js';
import { tempDataDir, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { holdBitcoinAppsForFile, readAsContainerUser, writeBitcoinApps } from './bitcoin-apps.js';

holdBitcoinAppsForFile();
let apps: string;
beforeAll(async () => {
  apps = await writeBitcoinApps();
});

const REINDEX_ARG = 'Command-line arg: reindex-chainstate=""';
const REINDEX_WORK = 'Wiping LevelDB in';
const BANNER_28 = 'Bitcoin Core version v28.4.0';

/** How often each marker line occurs in the node's debug.log. */
async function debugLogCounts(
  dataDir: string,
): Promise<{ flag: number; reindexed: number; starts28: number }> {
  const log = await readAsContainerUser(
    join(dataDir, 'apps', 'bitcoin-core', 'bitcoin', 'regtest', 'debug.log'),
  );
  const count = (needle: string) => log.split(needle).length - 1;
  return { flag: count(REINDEX_ARG), reindexed: count(REINDEX_WORK), starts28: count(BANNER_28) };
}

async function containerCommand(): Promise<string[]> {
  return JSON.parse(
    await podman(['inspect', '--format', '{{json .Config.Cmd}}', 'archy-bitcoin-core']),
  ) as string[];
}

async function healthy(daemon: TestDaemon, what: string): Promise<AppStatus> {
  return waitFor(
    async () => {
      const status = await daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
      return status.state === 'running' && status.health === 'healthy' ? status : undefined;
    },
    { what, timeoutMs: 60_000, intervalMs: 250 },
  );
}

const record = (dataDir: string) =>
  JSON.parse(readFileSync(join(dataDir, 'state', 'apps', 'bitcoin-core.json'), 'utf8')) as Record<
    string,
    unknown
  >;

describe('-reindex-chainstate after a downgrade runs once', () => {
  let daemon: TestDaemon | undefined;
  afterAll(async () => {
    await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
    await daemon?.stop();
  });

  it('is dropped from the container once healthy; a restart does not reindex again', async () => {
    const dataDir = tempDataDir('reindex-once');
    daemon = await startDaemon({ dataDir, env: { ARCHY_APPS_DIR: apps } });
    await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '31.0']);
    const done = await daemon.cliJson<VersionChangeResult>([
      'set-version',
      'bitcoin-core',
      '28.4',
      '--confirm-downgrade',
    ]);
    expect(done).toMatchObject({ to: { version: '28.4' }, startArgs: ['-reindex-chainstate'] });
    await healthy(daemon, '28.4 to be healthy without the flag');

    expect((await containerCommand()).filter((arg) => arg.startsWith('-reindex'))).toEqual([]);
    expect(record(dataDir)['firstStartArgs']).toBeUndefined();
    // Started twice as 28.4: once with the flag (the reindex), once without it.
    expect(await debugLogCounts(dataDir)).toEqual({ flag: 1, reindexed: 1, starts28: 2 });

    const restarted = await daemon.cli(['restart', 'bitcoin-core']);
    expect(restarted.code).toBe(0);
    await healthy(daemon, '28.4 to be healthy after a restart');
    expect(await debugLogCounts(dataDir)).toEqual({ flag: 1, reindexed: 1, starts28: 3 });

    // A crash: the supervisor restarts the node, again without a reindex.
    await podman(['kill', 'archy-bitcoin-core']);
    await waitFor(async () => (await debugLogCounts(dataDir)).starts28 === 4, {
      what: 'the supervisor to restart the node',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    await healthy(daemon, '28.4 to be healthy after the supervisor restarted it');
    expect(await debugLogCounts(dataDir)).toEqual({ flag: 1, reindexed: 1, starts28: 4 });
  }, 240_000);
});

describe('a daemon killed between "healthy with the flag" and the recreate', () => {
  let daemon: TestDaemon | undefined;
  afterAll(async () => {
    await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
    await daemon?.stop();
  });

  it('recreates the container without the flag at the next start, even after a reboot stopped it', async () => {
    const dataDir = tempDataDir('reindex-killed');
    const env = { ARCHY_APPS_DIR: apps };
    daemon = await startDaemon({ dataDir, env: { ...env, ARCHY_TEST_PAUSE_AT: 'drop-start-args' } });
    await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '31.0']);
    const cli = daemon.spawnCli(['set-version', 'bitcoin-core', '28.4', '--confirm-downgrade']);
    const paused = daemon;
    await waitFor(() => paused.log().includes('paused at drop-start-args'), {
      what: 'the daemon to pause before dropping the flag',
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    await daemon.kill();
    cli.kill('SIGKILL');
    // The reindex is recorded as done; the container still has the flag. A reboot stops it.
    expect(record(dataDir)['firstStartArgs']).toEqual({ args: ['-reindex-chainstate'], spent: true });
    expect(await containerCommand()).toContain('-reindex-chainstate');
    await podman(['stop', '-t', '10', 'archy-bitcoin-core']);

    daemon = await startDaemon({ dataDir, env });
    const status = await healthy(daemon, 'bitcoin-core to come back after the crash');
    expect(status.version).toBe('28.4');
    expect(await containerCommand()).not.toContain('-reindex-chainstate');
    expect(record(dataDir)['firstStartArgs']).toBeUndefined();
    expect(await debugLogCounts(dataDir)).toEqual({ flag: 1, reindexed: 1, starts28: 2 });
  }, 180_000);
});
