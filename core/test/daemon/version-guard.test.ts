// The Bitcoin version guard on every path that starts a node on data it already has — install onto
// kept data (bundled or an imported manifest), start, restart, the supervisor's restart, the
// reconcile at boot — through a real daemon, real rootless Podman and the bitcoind TEST DOUBLE
// (regtest), which behaves as real builds were seen to: a pre-28 version refuses a datadir 28+
// created, and its -reindex would wipe the chain for good (double.test.ts proves that part).
//
// "A newer version ran here" is made real: the double of that version is run by hand on the
// node's datadir while Archipelago's node is stopped, as a user might.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify, parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { tempDataDir, testRunId, TEST_RUN_LABEL, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { bitcoindDoubleImage } from '../support/bitcoind-double-images.js';
import { testReleaseImage } from '../support/test-catalog.js';
import {
  datadirDigest,
  holdBitcoinAppsForFile,
  readAsContainerUser,
  writeBitcoinApps,
} from './bitcoin-apps.js';

holdBitcoinAppsForFile();

const ID = 'bitcoin-core';
const CONTAINER = `archy-${ID}`;
const datadirOf = (dataDir: string) => join(dataDir, 'apps', ID, 'bitcoin');
const debugLog = (dataDir: string) => readAsContainerUser(join(datadirOf(dataDir), 'regtest', 'debug.log'));

interface Marker {
  version: string;
  writtenAt: string;
  banner?: string;
}
const marker = async (dataDir: string): Promise<Marker> =>
  JSON.parse(await readAsContainerUser(join(datadirOf(dataDir), '.archipelago-version.json'))) as Marker;

const containerExists = async (): Promise<boolean> =>
  (await podman(['ps', '-a', '--filter', `name=^${CONTAINER}$`, '--format', '{{.Names}}'])).trim() !== '';

async function status(daemon: TestDaemon): Promise<AppStatus> {
  return daemon.cliJson<AppStatus>(['status', ID]);
}

async function healthy(daemon: TestDaemon, what: string): Promise<AppStatus> {
  return waitFor(
    async () => {
      const now = await status(daemon);
      return now.state === 'running' && now.health === 'healthy' ? now : undefined;
    },
    { what, timeoutMs: 60_000, intervalMs: 250 },
  );
}

/** Waits until the marker records `version` from a run after `since` (the health hook writes it). */
async function markedAfter(dataDir: string, version: string, since: number): Promise<Marker> {
  return waitFor(
    async () => {
      const now = await marker(dataDir).catch(() => undefined);
      return now && now.version === version && Date.parse(now.writtenAt) > since ? now : undefined;
    },
    { what: `the marker to record ${version}`, timeoutMs: 30_000, intervalMs: 250 },
  );
}

/** When the node's container (this run of it) started, in ms. */
async function containerStartedAt(): Promise<number> {
  const started = JSON.parse(
    await podman(['inspect', '--format', '{{json .State.StartedAt}}', CONTAINER]),
  ) as string;
  return Date.parse(started);
}

/** Waits until the one-time reindex is spent and gone from the node's container (the daemon recreates it). */
async function reindexDropped(daemon: TestDaemon, dataDir: string): Promise<void> {
  await waitFor(
    async () => {
      const record = JSON.parse(readFileSync(join(dataDir, 'state', 'apps', `${ID}.json`), 'utf8')) as {
        firstStartArgs?: unknown;
      };
      if (record.firstStartArgs !== undefined) return false;
      const now = await status(daemon);
      return now.state === 'running' && now.health === 'healthy';
    },
    { what: 'the one-time reindex to be dropped', timeoutMs: 60_000, intervalMs: 250 },
  );
}

/**
 * Runs the double of `version` by hand on the node's datadir until it has loaded (its banner is in
 * debug.log), then stops it: a newer bitcoind ran here while Archipelago's node was down.
 */
async function runByHand(dataDir: string, version: string): Promise<void> {
  // A real newer bitcoind starts only after ours has shut down, seconds after the marker of our
  // last run. debug.log stamps whole seconds, and the guard takes a banner stamped in the marker's
  // own second as older than the marker (a failed upgrade's banner, then the restore's marker, is
  // the common case). The double starts in a second after the marker's, as a real one would; it
  // is quick enough to print its banner in the same second as a marker written while the daemon
  // stopped (the likeliest cause of one CI failure of the reconcile-at-boot test below).
  const written = await marker(dataDir).then(
    (last) => Date.parse(last.writtenAt),
    () => undefined,
  );
  if (written !== undefined) {
    const nextSecond = Math.floor(written / 1000) * 1000 + 1000;
    if (Date.now() < nextSecond) await new Promise((resolve) => setTimeout(resolve, nextSecond - Date.now()));
  }
  const before = (await debugLog(dataDir)).length;
  const container = (
    await podman([
      'run',
      '--detach',
      '--label',
      `${TEST_RUN_LABEL}=${testRunId()}`,
      '--network',
      'none',
      '--volume',
      `${datadirOf(dataDir)}:/data:U`,
      bitcoindDoubleImage('core', version),
      'bitcoind',
      '-datadir=/data',
      '-regtest',
    ])
  ).trim();
  try {
    await waitFor(async () => (await debugLog(dataDir)).slice(before).includes('Done loading'), {
      what: `${version} run by hand to load`,
      timeoutMs: 30_000,
      intervalMs: 200,
    });
  } finally {
    await podman(['rm', '--force', '--time', '10', container]);
  }
}

describe('the version guard on every path that starts Bitcoin on existing data', () => {
  let daemon: TestDaemon;
  let apps: string;
  let dataDir: string;
  beforeAll(async () => {
    apps = await writeBitcoinApps();
    dataDir = tempDataDir('version-guard');
    daemon = await startDaemon({ dataDir, env: { ARCHY_APPS_DIR: apps } });
  });
  afterAll(async () => {
    await daemon?.cli(['remove', ID, '--purge', '--yes']);
    await daemon?.stop();
  });

  it('install onto kept data: refuses 27.2 on a datadir 28.4 created, even confirmed, and leaves nothing behind', async () => {
    expect((await daemon.cliJson<AppStatus>(['install', ID, '--version', '28.4'])).health).toBe('healthy');
    expect((await daemon.cli(['remove', ID])).code).toBe(0);
    const before = await datadirDigest(datadirOf(dataDir));
    const blocks = join(datadirOf(dataDir), 'regtest', 'blocks');
    const blocksBefore = await datadirDigest(blocks);

    for (const confirm of [[], ['--confirm-downgrade']]) {
      const refused = await daemon.cli(['install', ID, '--version', '27.2', ...confirm]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(
        'downgrading bitcoin-core 28.4 → 27.2 (the marker written after 28.4 ran) is refused',
      );
      expect(refused.stderr).toContain('blocks/xor.dat');
      expect(refused.stderr).toContain('Nothing was installed');
      expect(refused.stderr).not.toMatch(/restart with -reindex/i);
    }
    // An imported manifest declaring the same node is guarded the same way.
    const imported = join(tempDataDir('imported-node'), 'manifest.yml');
    const manifest = parse(readFileSync(join(apps, ID, 'manifest.yml'), 'utf8')) as Record<string, unknown>;
    writeFileSync(imported, stringify({ ...manifest, version: '27.2', image: testReleaseImage(ID, '27.2') }));
    const viaImport = await daemon.cli(['install', imported, '--confirm-downgrade']);
    expect(viaImport.code).not.toBe(0);
    expect(viaImport.stderr).toContain('blocks/xor.dat');

    expect((await daemon.cliJson<AppStatus[]>(['list'])).map((app) => app.id)).not.toContain(ID);
    expect(await containerExists()).toBe(false);
    expect(await datadirDigest(datadirOf(dataDir))).toBe(before);
    expect(await marker(dataDir)).toMatchObject({ version: '28.4' });

    // An upgrade onto the kept data needs nothing.
    expect(await daemon.cliJson<AppStatus>(['install', ID, '--version', '31.0'])).toMatchObject({
      version: '31.0',
      health: 'healthy',
    });
    expect(await datadirDigest(blocks)).toBe(blocksBefore);
  });

  it('install onto kept data of a newer version: the same confirmation and one-time reindex as set-version', async () => {
    expect((await daemon.cli(['remove', ID])).code).toBe(0);
    const refused = await daemon.cli(['install', ID, '--version', '29.3']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('downgrading bitcoin-core 31.0 → 29.3');
    expect(refused.stderr).toContain(
      'needs a reindex of the chainstate (hours); confirm with --confirm-downgrade',
    );
    expect(await containerExists()).toBe(false);

    const since = Date.now();
    const installed = await daemon.cliJson<AppStatus>([
      'install',
      ID,
      '--version',
      '29.3',
      '--confirm-downgrade',
    ]);
    expect(installed).toMatchObject({ version: '29.3', state: 'running' });
    expect(await debugLog(dataDir)).toContain('Command-line arg: reindex-chainstate=""');
    await healthy(daemon, '29.3 to be healthy');
    await markedAfter(dataDir, '29.3', since);
  });

  it('start and restart: refused after a newer version ran on the datadir; confirmed, with the reindex', async () => {
    expect((await daemon.cli(['stop', ID])).code).toBe(0);
    await runByHand(dataDir, '31.0');

    const start = await daemon.cli(['start', ID]);
    expect(start.code).not.toBe(0);
    expect(start.stderr).toContain(
      'downgrading bitcoin-core 31.0 → 29.3 (debug.log shows Bitcoin Core 31.0 started here, newer than the recorded 29.3)',
    );
    expect(start.stderr).toContain("'bitcoin-core' was not started");
    expect((await status(daemon)).state).toBe('stopped');
    const restart = await daemon.cli(['restart', ID]);
    expect(restart.code).not.toBe(0);
    expect(restart.stderr).toContain("'bitcoin-core' was not restarted");

    const reindexes = (await debugLog(dataDir)).split('reindex-chainstate=""').length;
    const since = Date.now();
    expect((await daemon.cli(['restart', ID, '--confirm-downgrade'])).code).toBe(0);
    expect((await debugLog(dataDir)).split('reindex-chainstate=""').length).toBe(reindexes + 1);
    await healthy(daemon, '29.3 to be healthy after the confirmed restart');
    await markedAfter(dataDir, '29.3', since);
    // The marker now vouches for everything before it: a plain restart needs nothing.
    expect((await daemon.cli(['restart', ID])).code).toBe(0);
    await healthy(daemon, '29.3 to be healthy after a plain restart');
    expect((await debugLog(dataDir)).split('reindex-chainstate=""').length).toBe(reindexes + 1);
  });

  it('the reconcile at boot and the supervisor never start it on such data by themselves', async () => {
    // A reboot: the daemon goes down, the node stops, and meanwhile a newer version runs here.
    await daemon.stop();
    await podman(['stop', '--time', '10', CONTAINER]);
    await runByHand(dataDir, '31.0');
    daemon = await startDaemon({ dataDir, env: { ARCHY_APPS_DIR: apps } });
    const atBoot = await waitFor(
      async () => {
        const now = await status(daemon);
        // Thrown, not undefined, so a timeout says what the app showed instead.
        if (!now.message?.includes('It was not started at boot'))
          throw new Error(`${now.state}: ${now.message ?? 'no message'}`);
        return now;
      },
      { what: 'the reconcile to refuse the start', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(atBoot.state).toBe('failed');
    expect(atBoot.message).toContain('downgrading bitcoin-core 31.0 → 29.3');
    expect((await podman(['inspect', '--format', '{{.State.Running}}', CONTAINER])).trim()).toBe('false');

    expect((await daemon.cli(['start', ID, '--confirm-downgrade'])).code).toBe(0);
    await reindexDropped(daemon, dataDir);
    // The marker of the run without -reindex, not the one with it (written before the daemon
    // recreated the container): a marker of this run still on its way when the banner below is
    // written would take that banner for this run's (which the test would then blame on the guard).
    await markedAfter(dataDir, '29.3', await containerStartedAt());

    // A crash, after which the node's data shows a newer version: the supervisor does not restart
    // it. (A newer bitcoind cannot run beside ours, so its banner is written as it would appear.)
    const since = Date.now();
    const banner = `${new Date(since + 2000).toISOString().slice(0, 19)}Z Bitcoin Core version v31.0.0`;
    await podman([
      'unshare',
      'sh',
      '-c',
      'printf "%s\\n" "$2" >> "$1"',
      'append',
      join(datadirOf(dataDir), 'regtest', 'debug.log'),
      banner,
    ]);
    await podman(['kill', CONTAINER]);
    const crashed = await waitFor(
      async () => {
        const now = await status(daemon);
        // Thrown, not undefined, so a timeout says what the app showed instead.
        if (!now.message?.includes('The supervisor did not restart it'))
          throw new Error(`${now.state}: ${now.message ?? 'no message'}`);
        return now;
      },
      { what: 'the supervisor to refuse the restart', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(crashed.state).toBe('failed');
    expect(crashed.message).toContain('downgrading bitcoin-core 31.0 → 29.3');
    // And it stays down: no retry behind the user's back.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await podman(['inspect', '--format', '{{.State.Running}}', CONTAINER])).trim()).toBe('false');
  });
});

describe('when bitcoind itself exits at start', () => {
  let daemon: TestDaemon | undefined;
  afterAll(async () => {
    await daemon?.cli(['remove', ID, '--purge', '--yes']);
    await daemon?.stop();
  });

  it('quotes its decisive lines, without a -reindex the guard did not approve', async () => {
    const dataDir = tempDataDir('exit-output');
    daemon = await startDaemon({ dataDir, env: { ARCHY_APPS_DIR: await writeBitcoinApps() } });
    expect((await daemon.cli(['install', ID, '--prune', '2'])).code).toBe(0);
    expect((await daemon.cli(['remove', ID])).code).toBe(0);
    // Installed again without pruning on the pruned data: bitcoind refuses to go back to unpruned.
    const failed = await daemon.cli(['install', ID]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('exited with status 1 right after starting; it said:');
    expect(failed.stderr).toContain('You need to rebuild the database');
    expect(failed.stderr).not.toMatch(/using -reindex|restart with -reindex/i);
    expect(failed.stderr).toContain("bitcoind's advice to reindex is left out");
    expect(await containerExists()).toBe(false);
  });
});
