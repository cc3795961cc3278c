// Crash safety of version changes, the SIGKILL matrix: the daemon is SIGKILLed at every step of
// set-version and of the Core → Knots switch (the test hook ARCHY_TEST_PAUSE_AT makes it stop there
// and log "paused at <step>"), restarted, and must converge to exactly one app at one version — the
// old one if the new one never ran, else the new one, else (never healthy) the old one restored —
// with the chain data byte-identical and the intent journal empty. The cases run one after another:
// the bitcoin-* container names are per Podman user. Uses the bitcoind TEST DOUBLE on regtest.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { tempDataDir, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import {
  datadirDigest,
  holdBitcoinAppsForFile,
  readAsContainerUser,
  removeStaleBitcoinContainers,
  runningBitcoinContainers,
  writeBitcoinApps,
} from './bitcoin-apps.js';

holdBitcoinAppsForFile();
let apps: string;
beforeAll(async () => {
  apps = await writeBitcoinApps();
});

/**
 * Each test starts, kills and restarts daemons: every one it started is stopped when the test ends,
 * passed or failed (the SIGKILLed ones' Podman services go with the file's teardown), and its
 * bitcoin-* container and network are removed here rather than by an `archy remove` at the end of
 * each test (which nothing asserted, ~2 s a case): the next case installs on a fresh data dir, and
 * the daemon replaces the app's Podman secrets at each start (the run's teardown removes the rest).
 */
const started: TestDaemon[] = [];
async function startTestDaemon(options: Parameters<typeof startDaemon>[0]): Promise<TestDaemon> {
  const daemon = await startDaemon(options);
  started.push(daemon);
  return daemon;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((daemon) => daemon.stop()));
  await removeStaleBitcoinContainers();
});

/**
 * Where each step of set-version 28.4 → 31.0 leaves the app after a crash there and a restart:
 * every step the daemon announces (version-switch.ts recreateAt), for a 31.0 that comes up healthy
 * and, where it matters (start-new, and restore, which only a failed start reaches), one that never
 * does — rolled forward and then restored, or rolled back.
 */
const SET_VERSION_CASES: Array<[step: string, target: Target, converged: string]> = [
  ['stop-old', 'healthy', '28.4'],
  ['remove-old', 'healthy', '28.4'],
  ['create-new', 'healthy', '28.4'],
  ['start-new', 'healthy', '31.0'],
  ['commit', 'healthy', '31.0'],
  ['start-new', 'never healthy', '28.4'],
  ['restore', 'never healthy', '28.4'],
];
type Target = 'healthy' | 'never healthy';

const KNOTS = '29.3.knots20260508';
/**
 * A restarted daemon answers once it has recovered (a new version waited for, or the old one
 * restored): bounded by the health check's wait and a stop timeout, longer on a loaded machine.
 */
const RECOVERY_MS = 120_000;

/** The apps dirs, one per kind of target, written once for the file (the images are shared). */
const appsFor: Record<string, Record<Target, string>> = {};
beforeAll(async () => {
  appsFor['31.0'] = { healthy: apps, 'never healthy': await writeBitcoinApps({ failHealthOn: '31.0' }) };
  appsFor[KNOTS] = { healthy: apps, 'never healthy': await writeBitcoinApps({ failHealthOn: KNOTS }) };
});

/** Starts `cli` against a daemon that pauses at `step`, then SIGKILLs both there. */
async function killAt(daemon: TestDaemon, step: string, cli: string[]): Promise<void> {
  const command = daemon.spawnCli(cli);
  await waitFor(() => daemon.log().includes(`paused at ${step}`), {
    what: `the daemon to pause at ${step}`,
    timeoutMs: 90_000,
    intervalMs: 50,
  });
  await daemon.kill();
  command.kill('SIGKILL');
}

/**
 * Waits until `id` runs healthy at a daemon restarted on the same data dir; returns its status. On
 * a timeout the error says where it stood (its last status and message).
 */
async function convergedStatus(daemon: TestDaemon, id: string, what: string): Promise<AppStatus> {
  let last: unknown;
  try {
    return await waitFor(
      async () => {
        const s = await daemon.cliJson<AppStatus>(['status', id]).catch((error: unknown) => error);
        last = s;
        const status = s as AppStatus;
        return status?.state === 'running' && status.health === 'healthy' ? status : undefined;
      },
      { what, timeoutMs: 90_000, intervalMs: 250 },
    );
  } catch (error) {
    const where = last instanceof Error ? last.message : JSON.stringify(last);
    throw new Error(`${(error as Error).message}; last status: ${where}`);
  }
}

const markerOf = async (datadir: string) =>
  JSON.parse(await readAsContainerUser(join(datadir, '.archipelago-version.json'))) as {
    implementation: string;
    version: string;
  };

describe('SIGKILL of the daemon during set-version 28.4 → 31.0', () => {
  it.each(SET_VERSION_CASES)(
    'killed at %s (31.0 %s), it converges to %s with the chain data unchanged',
    async (step, target, converged) => {
      const dataDir = tempDataDir(`crash-${step}`);
      const env = { ARCHY_APPS_DIR: appsFor['31.0']![target] };
      let daemon = await startTestDaemon({ dataDir, env: { ...env, ARCHY_TEST_PAUSE_AT: step } });
      await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '28.4']);
      const datadir = join(dataDir, 'apps', 'bitcoin-core', 'bitcoin');
      const before = await datadirDigest(datadir);

      await killAt(daemon, step, ['set-version', 'bitcoin-core', '31.0']);
      expect(existsSync(join(dataDir, 'state', 'intents', 'bitcoin-core.json'))).toBe(true);

      daemon = await startTestDaemon({ dataDir, env, readyTimeoutMs: RECOVERY_MS });
      const status = await convergedStatus(
        daemon,
        'bitcoin-core',
        `bitcoin-core to converge after a crash at ${step}`,
      );
      expect(status.version).toBe(converged);
      if (target === 'never healthy' && step === 'start-new') {
        // Rolled forward (31.0 may have upgraded the databases), never healthy, then restored.
        expect(status.message).toContain('31.0 did not become healthy after a restart');
      }
      await waitFor(() => !existsSync(join(dataDir, 'state', 'intents', 'bitcoin-core.json')), {
        what: 'the intent to be cleared',
        timeoutMs: 30_000,
      });
      expect(await runningBitcoinContainers()).toEqual(['archy-bitcoin-core']);
      expect(await datadirDigest(datadir)).toBe(before);
      expect((await markerOf(datadir)).version).toBe(converged);
    },
    240_000,
  );
});

/**
 * Where each step of a Core 28.4 → Knots switch (version-switch.ts runSwitch) leaves the node after
 * a crash there and a restart: before the target could have run, back to Core; once it may have,
 * forward to Knots — or, if Knots never becomes healthy, back to Core. `restore` is reached only
 * by a target that failed. (start-target with a never-healthy Knots has its own test below.)
 */
const SWITCH_CASES: Array<[step: string, target: Target, converged: 'bitcoin-core' | 'bitcoin-knots']> = [
  ['stop-source', 'healthy', 'bitcoin-core'],
  ['remove-source', 'healthy', 'bitcoin-core'],
  ['move-data', 'healthy', 'bitcoin-core'],
  ['create-target', 'healthy', 'bitcoin-core'],
  ['start-target', 'healthy', 'bitcoin-knots'],
  ['commit', 'healthy', 'bitcoin-knots'],
  ['restore', 'never healthy', 'bitcoin-core'],
];

describe('SIGKILL of the daemon during a Core 28.4 → Knots switch', () => {
  it.each(SWITCH_CASES)(
    'killed at %s (Knots %s), exactly one node, %s, runs on the unchanged chain data',
    async (step, target, converged) => {
      const other = converged === 'bitcoin-core' ? 'bitcoin-knots' : 'bitcoin-core';
      const dataDir = tempDataDir(`crash-switch-${step}`);
      const env = { ARCHY_APPS_DIR: appsFor[KNOTS]![target] };
      let daemon = await startTestDaemon({ dataDir, env: { ...env, ARCHY_TEST_PAUSE_AT: step } });
      await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '28.4']);
      const before = await datadirDigest(join(dataDir, 'apps', 'bitcoin-core', 'bitcoin'));

      await killAt(daemon, step, ['switch', 'bitcoin-core', 'bitcoin-knots', '--confirm-switch']);
      expect(existsSync(join(dataDir, 'state', 'intents', 'bitcoin-knots.json'))).toBe(true);

      daemon = await startTestDaemon({ dataDir, env, readyTimeoutMs: RECOVERY_MS });
      const status = await convergedStatus(
        daemon,
        converged,
        `${converged} to converge after a crash at ${step}`,
      );
      expect(status.version).toBe(converged === 'bitcoin-core' ? '28.4' : KNOTS);
      await waitFor(() => !existsSync(join(dataDir, 'state', 'intents', 'bitcoin-knots.json')), {
        what: 'the intent to be cleared',
        timeoutMs: 30_000,
      });
      // The other app is gone for good: no record, no container, no data dir; one node runs.
      expect((await daemon.cli(['status', other])).code).not.toBe(0);
      expect(await podman(['ps', '-a', '--format', '{{.Names}}'])).not.toMatch(
        new RegExp(`^archy-${other}$`, 'm'),
      );
      expect(existsSync(join(dataDir, 'apps', other))).toBe(false);
      expect(await runningBitcoinContainers()).toEqual([`archy-${converged}`]);
      const datadir = join(dataDir, 'apps', converged, 'bitcoin');
      expect(await datadirDigest(datadir)).toBe(before);
      expect(await markerOf(datadir)).toMatchObject(
        converged === 'bitcoin-core'
          ? { implementation: 'core', version: '28.4' }
          : { implementation: 'knots', version: KNOTS },
      );
    },
    240_000,
  );
});

describe('SIGKILL of the daemon during a Core → Knots switch whose target never becomes healthy', () => {
  it('rolls the switch forward at restart, then restores Core with the same data and says why', async () => {
    const knots = KNOTS;
    const env = { ARCHY_APPS_DIR: appsFor[KNOTS]!['never healthy'] };
    const dataDir = tempDataDir('crash-switch');
    let daemon = await startTestDaemon({ dataDir, env: { ...env, ARCHY_TEST_PAUSE_AT: 'start-target' } });
    await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '28.4']);
    const coreData = join(dataDir, 'apps', 'bitcoin-core', 'bitcoin');
    const before = await datadirDigest(coreData);

    const cli = daemon.spawnCli(['switch', 'bitcoin-core', 'bitcoin-knots', '--confirm-switch']);
    const paused = daemon;
    await waitFor(() => paused.log().includes('paused at start-target'), {
      what: 'the daemon to pause at start-target',
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    await daemon.kill();
    cli.kill('SIGKILL');
    // Killed with the data under the target and its container created: the switch goes forward.
    expect(existsSync(join(dataDir, 'apps', 'bitcoin-knots', 'bitcoin'))).toBe(true);
    expect(existsSync(coreData)).toBe(false);

    daemon = await startTestDaemon({ dataDir, env, readyTimeoutMs: RECOVERY_MS });
    const restarted = daemon;
    // The daemon started Knots from the journal (its log says so), saw it unhealthy, and went back.
    expect(restarted.log()).toContain('finishing an interrupted switch');
    const status = await waitFor(
      async () => {
        const s = await restarted.cliJson<AppStatus>(['status', 'bitcoin-core']);
        return s.state === 'running' && s.health === 'healthy' ? s : undefined;
      },
      { what: 'bitcoin-core to be restored', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(status.version).toBe('28.4');
    expect(status.message).toContain(`bitcoin-knots ${knots}`);
    expect(status.message).toContain('did not become healthy');
    expect(status.message).toContain('bitcoin-core 28.4 was restored');
    expect(restarted.log()).toContain('an interrupted switch did not become healthy');
    expect((await daemon.cli(['status', 'bitcoin-knots'])).code).not.toBe(0);
    expect(await runningBitcoinContainers()).toEqual(['archy-bitcoin-core']);
    expect(await podman(['ps', '-a', '--format', '{{.Names}}'])).not.toMatch(/^archy-bitcoin-knots$/m);
    expect(existsSync(join(dataDir, 'apps', 'bitcoin-knots'))).toBe(false);
    expect(existsSync(join(dataDir, 'state', 'intents', 'bitcoin-knots.json'))).toBe(false);
    expect(await datadirDigest(coreData)).toBe(before);
    // Knots ran on the datadir but never healthy: the marker still says Core 28.4.
    const marker = JSON.parse(await readAsContainerUser(join(coreData, '.archipelago-version.json'))) as {
      implementation: string;
      version: string;
    };
    expect(marker).toMatchObject({ implementation: 'core', version: '28.4' });
  }, 180_000);
});
