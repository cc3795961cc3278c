// Crash safety of set-version: the daemon is SIGKILLed at each step (the test hook
// ARCHY_TEST_PAUSE_AT makes it stop there and log "paused at <step>"), restarted, and must converge
// to one consistent version — the old one if the new one never ran, else the new one — with the
// chain data byte-identical and the intent journal empty. And a Core ⇄ Knots switch killed once the
// target started, whose target then never becomes healthy: rolled forward, then rolled back.
// Uses the bitcoind TEST DOUBLE on regtest.

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
 * passed or failed (the SIGKILLed ones' Podman services go with the file's teardown), and a failed
 * test's bitcoin-* container does not stand in the next one's way.
 */
const started: TestDaemon[] = [];
async function startTestDaemon(options: Parameters<typeof startDaemon>[0]): Promise<TestDaemon> {
  const daemon = await startDaemon(options);
  started.push(daemon);
  return daemon;
}
afterEach(async () => {
  for (const daemon of started.splice(0)) await daemon.stop();
  await removeStaleBitcoinContainers();
});

/** Where each step leaves the app after a crash there and a restart. */
const CASES: Array<[step: string, converged: string]> = [
  ['stop-old', '28.4'],
  ['remove-old', '28.4'],
  ['create-new', '28.4'],
  ['start-new', '31.0'],
  ['commit', '31.0'],
];

describe('SIGKILL of the daemon during set-version 28.4 → 31.0', () => {
  it.each(CASES)(
    'killed at %s, it converges to %s with the chain data unchanged',
    async (step, converged) => {
      const dataDir = tempDataDir(`crash-${step}`);
      const env = { ARCHY_APPS_DIR: apps };
      let daemon = await startTestDaemon({ dataDir, env: { ...env, ARCHY_TEST_PAUSE_AT: step } });
      await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '28.4']);
      const datadir = join(dataDir, 'apps', 'bitcoin-core', 'bitcoin');
      const before = await datadirDigest(datadir);

      const cli = daemon.spawnCli(['set-version', 'bitcoin-core', '31.0']);
      const paused = daemon;
      await waitFor(() => paused.log().includes(`paused at ${step}`), {
        what: `the daemon to pause at ${step}`,
        timeoutMs: 60_000,
        intervalMs: 50,
      });
      await daemon.kill();
      cli.kill('SIGKILL');
      expect(existsSync(join(dataDir, 'state', 'intents', 'bitcoin-core.json'))).toBe(true);

      daemon = await startTestDaemon({ dataDir, env });
      const restarted = daemon;
      const status = await waitFor(
        async () => {
          const s = await restarted.cliJson<AppStatus>(['status', 'bitcoin-core']);
          return s.state === 'running' && s.health === 'healthy' ? s : undefined;
        },
        { what: `bitcoin-core to converge after a crash at ${step}`, timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(status.version).toBe(converged);
      await waitFor(() => !existsSync(join(dataDir, 'state', 'intents', 'bitcoin-core.json')), {
        what: 'the intent to be cleared',
        timeoutMs: 30_000,
      });
      expect(await runningBitcoinContainers()).toEqual(['archy-bitcoin-core']);
      expect(await datadirDigest(datadir)).toBe(before);
      const marker = JSON.parse(await readAsContainerUser(join(datadir, '.archipelago-version.json'))) as {
        version: string;
      };
      expect(marker.version).toBe(converged);

      await daemon.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
    },
    180_000,
  );
});

describe('SIGKILL of the daemon during a Core → Knots switch whose target never becomes healthy', () => {
  it('rolls the switch forward at restart, then restores Core with the same data and says why', async () => {
    const knots = '29.3.knots20260508';
    const env = { ARCHY_APPS_DIR: await writeBitcoinApps({ failHealthOn: knots }) };
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

    daemon = await startTestDaemon({ dataDir, env });
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
    for (const id of ['bitcoin-core', 'bitcoin-knots']) await daemon.cli(['remove', id, '--purge', '--yes']);
  }, 180_000);
});
