// Core ⇄ Knots through a real daemon with the bitcoind TEST DOUBLE on regtest: the switch needs
// its own confirmation, moves the datadir to the target app (the chain data byte for byte), and
// never has both nodes running — asserted with `podman ps` polled all through the switch.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, VersionChangeResult } from '../../src/api/contract.js';
import { tempDataDir } from '../support/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import {
  datadirDigest,
  holdBitcoinAppsForFile,
  readAsContainerUser,
  runningBitcoinContainers,
  writeBitcoinApps,
} from './bitcoin-apps.js';

holdBitcoinAppsForFile();

/** Polls podman ps until stopped; returns the largest number of Bitcoin nodes seen running at once. */
function watchRunningNodes(): { stop(): Promise<{ most: number; seen: Set<string> }> } {
  let most = 0;
  const seen = new Set<string>();
  let active = true;
  const loop = (async () => {
    while (active) {
      const running = await runningBitcoinContainers().catch(() => []);
      running.forEach((name) => seen.add(name));
      most = Math.max(most, running.length);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    stop: async () => {
      active = false;
      await loop;
      return { most, seen };
    },
  };
}

describe('switching between Bitcoin Core and Bitcoin Knots', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startDaemon({
      dataDir: tempDataDir('switch'),
      env: { ARCHY_APPS_DIR: await writeBitcoinApps() },
    });
  });
  afterAll(async () => {
    for (const id of ['bitcoin-core', 'bitcoin-knots']) await daemon?.cli(['remove', id, '--purge', '--yes']);
    await daemon?.stop();
  });

  it('needs its own confirmation, keeps the data, and never runs both', async () => {
    await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '28.4']);
    const coreData = join(daemon.dataDir, 'apps', 'bitcoin-core', 'bitcoin');
    const chain = await datadirDigest(join(coreData, 'regtest', 'blocks'));

    const unconfirmed = await daemon.cli(['switch', 'bitcoin-core', 'bitcoin-knots']);
    expect(unconfirmed.code).not.toBe(0);
    expect(unconfirmed.stderr).toContain('--confirm-switch');
    expect(await runningBitcoinContainers()).toEqual(['archy-bitcoin-core']);

    const watch = watchRunningNodes();
    const toKnots = await daemon.cliJson<VersionChangeResult>([
      'switch',
      'bitcoin-core',
      'bitcoin-knots',
      '--confirm-switch',
    ]);
    const during = await watch.stop();
    expect(during.most).toBe(1);
    expect(toKnots).toMatchObject({
      from: { id: 'bitcoin-core', version: '28.4' },
      to: { id: 'bitcoin-knots', version: '29.3.knots20260508' },
      status: { id: 'bitcoin-knots', state: 'running' },
    });
    expect(await runningBitcoinContainers()).toEqual(['archy-bitcoin-knots']);
    expect((await daemon.cli(['status', 'bitcoin-core'])).code).not.toBe(0);
    const knotsData = join(daemon.dataDir, 'apps', 'bitcoin-knots', 'bitcoin');
    expect(existsSync(join(daemon.dataDir, 'apps', 'bitcoin-core'))).toBe(false);
    expect(await datadirDigest(join(knotsData, 'regtest', 'blocks'))).toBe(chain);
    const marker = JSON.parse(await readAsContainerUser(join(knotsData, '.archipelago-version.json'))) as {
      implementation: string;
      version: string;
    };
    expect(marker).toMatchObject({ implementation: 'knots', version: '29.3.knots20260508' });
    const debugLog = await readAsContainerUser(join(knotsData, 'regtest', 'debug.log'));
    expect(debugLog).toContain('Bitcoin Core version v28.4.0');
    expect(debugLog).toContain('Bitcoin Knots version v29.3.knots20260508');

    // And back: Knots 29.3 → Core 31.0 (an upgrade of the numeric base).
    const watchBack = watchRunningNodes();
    const toCore = await daemon.cliJson<VersionChangeResult>([
      'switch',
      'bitcoin-knots',
      'bitcoin-core',
      '--version',
      '31.0',
      '--confirm-switch',
    ]);
    expect((await watchBack.stop()).most).toBe(1);
    expect(toCore.status).toMatchObject({ id: 'bitcoin-core', version: '31.0', state: 'running' });
    expect(await runningBitcoinContainers()).toEqual(['archy-bitcoin-core']);
    expect(await datadirDigest(join(coreData, 'regtest', 'blocks'))).toBe(chain);
  });
});
