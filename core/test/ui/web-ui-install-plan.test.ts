import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { tempDataDir, uniqueAppId } from '../support/index.js';
import { holdBitcoinAppsForFile, writeBitcoinApps } from '../daemon/bitcoin-apps.js';
import { writeNodeUserApp } from '../daemon/node-user-app.js';
import { openBrowser, fillFirstRunForm } from './browser.js';

// Installing an app that needs a Bitcoin node through the web UI, end to end: real headless
// Chromium, the real daemon, real rootless Podman, the bitcoind TEST DOUBLE as Core and Knots
// (regtest) and a small app that needs a `bitcoin-node`. The install dialog shows the daemon's plan
// before anything happens, offers Bitcoin Core or Knots, refreshes the plan on the choice, and the
// install brings up Knots and then the app.

holdBitcoinAppsForFile();

describe('web UI: installing an app that needs a Bitcoin node, with the choice of node', () => {
  let daemon: TestDaemon;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let shoot: (name: string) => Promise<void>;
  const app = uniqueAppId('chain-reader');

  beforeAll(async () => {
    const appsDir = await writeBitcoinApps();
    writeNodeUserApp(appsDir, app, 'Chain Reader');
    daemon = await startDaemon({
      dataDir: tempDataDir('web-ui-install-plan'),
      env: { ARCHY_APPS_DIR: appsDir },
    });
    ({ context, page, problems, shoot } = await openBrowser());
  }, 900_000);

  afterAll(async () => {
    await context?.close();
    for (const id of [app, 'bitcoin-knots', 'bitcoin-core']) {
      await daemon?.cli(['remove', id, '--purge', '--yes']).catch(() => undefined);
    }
    await daemon?.stop();
  });

  it('shows the plan, offers Core or Knots, and installs Knots then the app', async () => {
    await page.goto(daemon.url);
    await fillFirstRunForm(page, daemon);
    await page.getByRole('heading', { name: 'No apps yet' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Marketplace' }).click();
    await page.locator(`[data-app="${app}"]`).click();
    await page.getByRole('heading', { name: 'Chain Reader' }).waitFor();
    await page.locator('[data-test=open-install]').click();
    const modal = page.getByRole('dialog');

    // ---- no node yet: the choice, by name, and a plan that waits for it ----
    const choice = modal.getByRole('group', { name: 'Which Bitcoin node should Chain Reader use?' });
    await choice.waitFor();
    expect(await choice.getByRole('radio', { name: /Bitcoin Core/ }).isChecked()).toBe(false);
    expect(await choice.getByRole('radio', { name: /Bitcoin Knots/ }).isChecked()).toBe(false);
    await modal.locator('[data-test=plan-open-choice]').waitFor();
    expect(await modal.locator('[data-test=install]').isDisabled()).toBe(true);
    await shoot('install-plan-1-choose-node');

    // ---- Knots chosen: the daemon's plan lists every step, the login, and the install may go ----
    await choice.getByRole('radio', { name: /Bitcoin Knots/ }).check();
    await expect
      .poll(() => modal.locator('[data-test=plan-steps] li').allTextContents(), { timeout: 20_000 })
      .toEqual([
        expect.stringMatching(/^Install Bitcoin Knots .* — provides bitcoin-node for Chain Reader$/),
        expect.stringMatching(/^Start Bitcoin Knots .* — provides bitcoin-node for Chain Reader$/),
        'Install Chain Reader 1.0.0 — the app you asked for',
        'Start Chain Reader 1.0.0 — the app you asked for',
      ]);
    expect(await modal.locator('[data-test=plan-logins]').textContent()).toContain(
      'Chain Reader gets its own RPC login for Bitcoin Knots.',
    );
    await shoot('install-plan-2-knots-chosen');
    // Nothing happened yet: the dialog only asked.
    expect(await daemon.cliJson<AppStatus[]>(['list'])).toEqual([]);

    const install = modal.locator('[data-test=install]');
    await expect.poll(() => install.isDisabled()).toBe(false);
    await install.click();
    await modal.locator('[data-test=installed]').waitFor({ timeout: 180_000 });
    const list = await daemon.cliJson<AppStatus[]>(['list']);
    expect(list.map((entry) => `${entry.id} ${entry.state}`).sort()).toEqual(
      [`${app} running`, 'bitcoin-knots running'].sort(),
    );
    await shoot('install-plan-3-installed');
    expect(problems).toEqual([]);
  }, 600_000);
});
