// `package.plan-version-change` (and `archy set-version|switch --dry-run`) through a real daemon with
// the bitcoind TEST DOUBLE on regtest: the plan is the one the real call follows — a downgrade that
// needs confirmation (with its reindex and the datadir evidence), one refused whatever is confirmed,
// a Core → Knots switch — an unknown version is the real call's clear error, and nothing changes.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, VersionChangePlanReport } from '../../src/api/contract.js';
import { tempDataDir } from '../support/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { holdBitcoinAppsForFile, runningBitcoinContainers, writeBitcoinApps } from './bitcoin-apps.js';

holdBitcoinAppsForFile();

async function rpc(
  daemon: TestDaemon,
  params: unknown,
): Promise<{ result?: VersionChangePlanReport; error?: { code: number; message: string } }> {
  const token = readFileSync(join(daemon.dataDir, '.cookie'), 'utf8').trim();
  const response = await fetch(`${daemon.url}/rpc/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'package.plan-version-change', params }),
  });
  return (await response.json()) as {
    result?: VersionChangePlanReport;
    error?: { code: number; message: string };
  };
}

describe('planning a version change without making it', () => {
  let daemon: TestDaemon;
  let before: AppStatus;
  beforeAll(async () => {
    daemon = await startDaemon({
      dataDir: tempDataDir('plan'),
      env: { ARCHY_APPS_DIR: await writeBitcoinApps() },
    });
    before = await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '29.3']);
  });
  afterAll(async () => {
    for (const id of ['bitcoin-core', 'bitcoin-knots']) await daemon?.cli(['remove', id, '--purge', '--yes']);
    await daemon?.stop();
  });

  it('plans a downgrade that needs confirmation, with what it means for the datadir', async () => {
    const plan = await daemon.cliJson<VersionChangePlanReport>([
      'set-version',
      'bitcoin-core',
      '28.4',
      '--dry-run',
    ]);
    expect(plan).toMatchObject({
      op: 'set-version',
      from: { id: 'bitcoin-core', version: '29.3' },
      to: { id: 'bitcoin-core', version: '28.4', image: expect.stringContaining('bitcoin-core:28.4') },
      direction: 'downgrade',
      allowed: false,
      needs: 'confirmation',
      confirmable: true,
      confirm: { confirmDowngrade: true },
      reindex: 'chainstate',
      startArgs: ['-reindex-chainstate'],
      datadirVersion: { implementation: 'core', version: '29.3' },
    });
    expect(plan.refusal).toContain('--confirm-downgrade');
    expect(plan.reasons.length).toBeGreaterThan(0);
    expect(plan.reasons.every((reason) => reason.reason.length > 0)).toBe(true);

    // The same params as the real call: confirmed, it would go ahead (and the plan says so).
    const confirmed = await daemon.cliJson<VersionChangePlanReport>([
      'set-version',
      'bitcoin-core',
      '28.4',
      '--confirm-downgrade',
      '--dry-run',
    ]);
    expect(confirmed).toMatchObject({
      allowed: true,
      needs: 'confirmation',
      startArgs: ['-reindex-chainstate'],
    });
    expect(confirmed.refusal).toBeUndefined();

    const text = await daemon.cli(['set-version', 'bitcoin-core', '28.4', '--dry-run']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('bitcoin-core: 29.3 → 28.4 (dry run: nothing was changed)');
    expect(text.stdout).toMatch(/would go ahead:\s+no/);
    expect(text.stdout).toMatch(/needs:\s+confirmation \(--confirm-downgrade\)/);
  });

  it('plans a downgrade no confirmation allows as refused, and an upgrade as needing nothing', async () => {
    // 29.3 created this datadir with a random blocks/xor.dat key: versions before 28 cannot read it.
    const refused = await rpc(daemon, {
      op: 'set-version',
      id: 'bitcoin-core',
      version: '27.2',
      confirmDowngrade: true,
    });
    expect(refused.result).toMatchObject({
      direction: 'downgrade',
      allowed: false,
      confirmable: false,
      confirm: {},
    });
    expect(refused.result?.reasons.map((reason) => reason.rule)).toContain('xor-key-from-28');

    const upgrade = await rpc(daemon, { op: 'set-version', id: 'bitcoin-core', version: '31.0' });
    expect(upgrade.result).toMatchObject({
      direction: 'upgrade',
      allowed: true,
      needs: 'nothing',
      startArgs: [],
    });
  });

  it('plans a Core → Knots switch: its own confirmation on top of the version step', async () => {
    const plan = await daemon.cliJson<VersionChangePlanReport>([
      'switch',
      'bitcoin-core',
      'bitcoin-knots',
      '--dry-run',
    ]);
    expect(plan).toMatchObject({
      op: 'switch-implementation',
      from: { id: 'bitcoin-core', version: '29.3' },
      to: { id: 'bitcoin-knots', version: '29.3.knots20260508', display: '29.3 (2026-05-08)' },
      direction: 'same',
      allowed: false,
      needs: 'confirmation',
      confirmable: true,
      confirm: { confirmSwitch: true },
    });
    expect(plan.refusal).toContain('--confirm-switch');
    const confirmed = await rpc(daemon, {
      op: 'switch-implementation',
      from: 'bitcoin-core',
      to: 'bitcoin-knots',
      confirmSwitch: true,
    });
    expect(confirmed.result).toMatchObject({ allowed: true });
  });

  it('answers an unknown version, app or op with a clear error, as the real call would', async () => {
    const unknown = await daemon.cli(['set-version', 'bitcoin-core', '99.0', '--dry-run']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('99.0');
    expect(unknown.stderr).toContain('not in the catalog');
    const real = await daemon.cli(['set-version', 'bitcoin-core', '99.0']);
    expect(real.stderr).toBe(unknown.stderr);

    const noApp = await rpc(daemon, { op: 'set-version', id: 'nosuchapp', version: '1.0' });
    expect(noApp.error?.message).toContain('nosuchapp');
    const badOp = await rpc(daemon, { op: 'install', id: 'bitcoin-core', version: '28.4' });
    expect(badOp.error?.code).toBe(-32602);
    expect(badOp.error?.message).toContain('set-version');
    const misspelt = await rpc(daemon, {
      op: 'set-version',
      id: 'bitcoin-core',
      version: '28.4',
      confirm: true,
    });
    expect(misspelt.error?.code).toBe(-32602);
  });

  it('changed nothing: same version, same container, no intent, no target data', async () => {
    const after = await daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
    expect(after).toMatchObject({ version: '29.3', state: 'running', containerId: before.containerId });
    expect(await runningBitcoinContainers()).toEqual(['archy-bitcoin-core']);
    expect(existsSync(join(daemon.dataDir, 'state', 'intents', 'bitcoin-core.json'))).toBe(false);
    expect(existsSync(join(daemon.dataDir, 'apps', 'bitcoin-knots'))).toBe(false);
    expect((await daemon.cli(['status', 'bitcoin-knots'])).code).not.toBe(0);
  });
});
