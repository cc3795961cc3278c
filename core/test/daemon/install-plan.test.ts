// The install plan with a provider choice (`package.plan-install`, `archy install --dry-run`,
// `--with`) through a real daemon on rootless Podman, with the bitcoind TEST DOUBLE as Bitcoin
// Core and Knots (regtest) and a small app that needs a `bitcoin-node`: without a choice the plan
// is not ready and offers both nodes (and the install is refused, naming the commands that
// choose); with one it lists every step and the login the app gets; a dry run changes nothing;
// the install with the choice installs Knots, then the app; a second app's plan restarts the
// running node (and the first app) to hand it a login.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, InstallPlanView } from '../../src/api/contract.js';
import { tempDataDir, uniqueAppId } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { holdBitcoinAppsForFile, writeBitcoinApps } from './bitcoin-apps.js';
import { writeNodeUserApp } from './node-user-app.js';

holdBitcoinAppsForFile();

async function rpc<T>(
  daemon: TestDaemon,
  method: string,
  params: unknown,
): Promise<{ result?: T; error?: { code: number; message: string } }> {
  const token = readFileSync(join(daemon.dataDir, '.cookie'), 'utf8').trim();
  const response = await fetch(`${daemon.url}/rpc/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await response.json()) as { result?: T; error?: { code: number; message: string } };
}

const containerExists = async (name: string) =>
  await podman(['container', 'exists', name]).then(
    () => true,
    () => false,
  );

describe('installing an app that needs a Bitcoin node: the plan and the choice of node', () => {
  let daemon: TestDaemon;
  const app = uniqueAppId('chain-reader');
  const second = uniqueAppId('chain-watcher');

  beforeAll(async () => {
    const appsDir = await writeBitcoinApps();
    writeNodeUserApp(appsDir, app);
    writeNodeUserApp(appsDir, second);
    daemon = await startDaemon({ dataDir: tempDataDir('install-plan'), env: { ARCHY_APPS_DIR: appsDir } });
  });
  afterAll(async () => {
    for (const id of [second, app, 'bitcoin-knots', 'bitcoin-core']) {
      await daemon?.cli(['remove', id, '--purge', '--yes']);
    }
    await daemon?.stop();
  });

  it('without a choice: not ready, both nodes offered, the commands that choose, and nothing changed', async () => {
    const plan = await daemon.cliJson<InstallPlanView>(['install', app, '--dry-run']);
    expect(plan.ready).toBe(false);
    expect(plan.choices).toEqual([
      {
        interface: 'bitcoin-node',
        dependent: app,
        candidates: [
          { id: 'bitcoin-core', name: 'Bitcoin Core' },
          { id: 'bitcoin-knots', name: 'Bitcoin Knots' },
        ],
      },
    ]);

    const text = await daemon.cli(['install', app, '--dry-run']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`archy install ${app} --with bitcoin-node=bitcoin-core`);
    expect(text.stdout).toContain(`archy install ${app} --with bitcoin-node=bitcoin-knots`);
    expect(text.stdout).toContain('would go ahead: no, a choice is needed');

    // The real install without a choice is refused the same way, before anything is made.
    const refused = await daemon.cli(['install', app]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`'archy install ${app} --with bitcoin-node=bitcoin-knots'`);
    expect(await daemon.cliJson<AppStatus[]>(['list'])).toEqual([]);
  });

  it('with a choice: every step in order and the login the app gets; still nothing changed', async () => {
    const answer = await rpc<InstallPlanView>(daemon, 'package.plan-install', {
      id: app,
      choices: { 'bitcoin-node': 'bitcoin-knots' },
    });
    const plan = answer.result!;
    expect(plan.ready).toBe(true);
    expect(plan.steps.map((step) => `${step.action} ${step.app} (${step.why})`)).toEqual([
      `install bitcoin-knots (provides bitcoin-node for ${app})`,
      `start bitcoin-knots (provides bitcoin-node for ${app})`,
      `install ${app} (requested)`,
      `start ${app} (requested)`,
    ]);
    expect(plan.steps[0]).toMatchObject({ name: 'Bitcoin Knots', version: expect.stringContaining('knots') });
    expect(plan.choices[0]?.chosen).toBe('bitcoin-knots');
    expect(plan.credentials).toEqual([
      { dependent: app, provider: 'bitcoin-knots', interface: 'bitcoin-node' },
    ]);

    // A choice nothing provides is the install's own refusal, in its words.
    const wrong = await rpc(daemon, 'package.plan-install', { id: app, choices: { 'bitcoin-node': second } });
    expect(wrong.error?.message).toBe(
      `'${second}' does not provide 'bitcoin-node'; choose one of: bitcoin-core, bitcoin-knots`,
    );

    expect(await daemon.cliJson<AppStatus[]>(['list'])).toEqual([]);
    expect(await containerExists('archy-bitcoin-knots')).toBe(false);
    expect(await containerExists(`archy-${app}`)).toBe(false);
  });

  it('installs with the choice: Knots first, then the app, both up', async () => {
    const status = await daemon.cliJson<AppStatus>(['install', app, '--with', 'bitcoin-node=bitcoin-knots']);
    expect(status).toMatchObject({ id: app, state: 'running' });
    const list = await daemon.cliJson<AppStatus[]>(['list']);
    expect(list.map((entry) => entry.id).sort()).toEqual(['bitcoin-knots', app].sort());
    const knots = list.find((entry) => entry.id === 'bitcoin-knots')!;
    expect(knots.state).toBe('running');
    expect(Date.parse(knots.installedAt)).toBeLessThanOrEqual(Date.parse(status.installedAt));
    expect(await containerExists('archy-bitcoin-core')).toBe(false);
  });

  it("a second app's plan uses the running Knots and restarts it (and the first app) for its login", async () => {
    const plan = await daemon.cliJson<InstallPlanView>(['install', second, '--dry-run']);
    expect(plan).toMatchObject({ ready: true, choices: [] });
    expect(plan.steps.map((step) => `${step.action} ${step.app}`)).toEqual([
      `install ${second}`,
      'restart bitcoin-knots',
      `restart ${app}`,
      `start ${second}`,
    ]);
    expect(plan.credentials).toEqual([
      { dependent: second, provider: 'bitcoin-knots', interface: 'bitcoin-node' },
    ]);
    expect((await daemon.cliJson<AppStatus[]>(['list'])).length).toBe(2);
  });
});
