import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { tempDataDir } from '../support/index.js';
import { holdBitcoinAppsForFile, writeBitcoinApps } from '../daemon/bitcoin-apps.js';
import { openBrowser, fillFirstRunForm } from './browser.js';

// Versions through the web UI, end to end: real headless Chromium, the real daemon with the tests'
// signed catalog (test/support/test-releases.json), real rootless Podman and the bitcoind TEST
// DOUBLE images (127.0.0.1:5000/archy-test/bitcoin-core:<v>, regtest, free ports). Install Bitcoin Core at a
// non-default version chosen in the install dialog → healthy on its card with an update badge →
// switch to an older version in the Version & Updates card: the downgrade warning explains the
// reindex and blocks until confirmed → the older version runs.

holdBitcoinAppsForFile();

describe('web UI: choosing and changing Bitcoin Core versions in Chromium', () => {
  let daemon: TestDaemon;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let shoot: (name: string) => Promise<void>;

  beforeAll(async () => {
    const appsDir = await writeBitcoinApps();
    daemon = await startDaemon({
      dataDir: tempDataDir('web-ui-versions'),
      env: { ARCHY_APPS_DIR: appsDir },
    });
    ({ context, page, problems, shoot } = await openBrowser());
  }, 900_000);

  afterAll(async () => {
    await context?.close();
    await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']).catch(() => undefined);
    await daemon?.stop();
  });

  const status = () => daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);

  it('installs a chosen older version, shows its update badge, and downgrades only after the reindex warning is confirmed', async () => {
    // ---- first run, then the marketplace ----
    await page.goto(daemon.url);
    await fillFirstRunForm(page, daemon);
    await page.getByRole('heading', { name: 'No apps yet' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Marketplace' }).click();
    await page.locator('[data-app="bitcoin-core"]').click();
    await page.getByRole('heading', { name: 'Bitcoin Core' }).waitFor();

    // ---- the install dialog: the signed catalog's versions, the default preselected ----
    await page.locator('[data-test=open-install]').click();
    const modal = page.getByRole('dialog');
    const versionSelect = modal.locator('[data-test=version-select]');
    await versionSelect.waitFor();
    expect(await versionSelect.inputValue()).toBe('31.0');
    expect((await versionSelect.locator('option').allTextContents()).map((text) => text.trim())).toEqual([
      '31.0 · recommended',
      '30.0',
      '29.3',
      '28.4',
      '27.2 · deprecated',
    ]);
    // The deprecated one says so, with the publisher's note.
    await versionSelect.selectOption('27.2');
    expect(await modal.locator('[data-test=version-warning]').textContent()).toContain('deprecated');
    expect(await modal.locator('[data-test=version-notes]').textContent()).toContain('xor.dat');
    await versionSelect.selectOption('31.0');
    // Reached by keyboard: the select has a label, and takes the arrow keys.
    await modal.getByLabel('Version', { exact: true }).focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await versionSelect.inputValue()).toBe('29.3');
    await shoot('12-install-version-choice');

    await modal.locator('[data-test=install]').click();
    await modal.locator('[data-test=installed]').waitFor({ timeout: 120_000 });
    await expect
      .poll(() => modal.locator('[data-test=installed]').textContent(), { timeout: 60_000 })
      .toContain('Running · healthy');
    expect(await status()).toMatchObject({ version: '29.3', state: 'running', health: 'healthy' });
    await modal.getByRole('button', { name: 'Close', exact: true }).click();

    // ---- its card: healthy, at 29.3, with the daemon's update badge (31.0 is the default; not pinned) ----
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Apps' }).click();
    const card = page.locator('[data-app="bitcoin-core"]');
    await expect.poll(() => card.textContent(), { timeout: 30_000 }).toContain('Running · healthy');
    expect(await card.textContent()).toContain('29.3');
    await expect.poll(() => card.locator('[data-test=update-badge]').textContent()).toBe('Update to 31.0');
    await shoot('13-apps-update-badge');

    // ---- details: resources, and the Version & Updates card ----
    await card.click();
    await page.getByRole('heading', { name: 'Version & Updates' }).waitFor();
    expect(await page.locator('[data-test=current-version]').textContent()).toContain('29.3');
    await expect.poll(() => page.locator('[data-test=card-update]').textContent()).toBe('31.0 is available');
    await expect
      .poll(() => page.locator('[data-test=resources-disk]').textContent(), { timeout: 20_000 })
      .toMatch(/\d/);

    // ---- switch to an older version: the loud warning, and nothing happens until it is confirmed ----
    await page.getByLabel('Change version').selectOption('28.4');
    const warning = page.locator('[data-test=downgrade-warning]');
    await warning.waitFor();
    expect(await warning.getAttribute('role')).toBe('alert');
    const words = (await warning.textContent()) ?? '';
    expect(words).toContain('This is a downgrade');
    expect(words).toContain('29.3 → 28.4');
    expect(words).toContain('reindex');
    // The daemon's own plan (package.plan-version-change), in its words: the UI keeps no rules.
    expect(words).toContain('needs a reindex of the chainstate');
    const apply = page.locator('[data-test=apply-version]');
    expect(await apply.textContent()).toContain('Downgrade');
    expect(await apply.isDisabled()).toBe(true);
    await shoot('14-downgrade-warning');
    // Still 29.3: the card sent nothing.
    expect(await status()).toMatchObject({ version: '29.3', state: 'running' });

    await page.getByLabel('I understand, and accept the reindex.').check();
    expect(await apply.isDisabled()).toBe(false);
    await apply.click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Now running' }).textContent(), {
        timeout: 180_000,
      })
      .toContain('Now running 28.4.');
    await expect.poll(() => page.locator('[data-test=current-version]').textContent()).toContain('28.4');
    // After a reindexing change the daemon recreates the container once more, without the
    // -reindex flag, when the node is first healthy: it may be starting again for a moment.
    await expect
      .poll(() => status(), { timeout: 60_000 })
      .toMatchObject({ version: '28.4', state: 'running', health: 'healthy' });
    // The logs follow the new container: its banner, live.
    await expect
      .poll(() => page.locator('[data-test=logs]').textContent(), { timeout: 20_000 })
      .toContain('Bitcoin Core version v28.4');
    expect(await page.locator('[data-test=logs-state]').textContent()).toContain('Live');
    await shoot('15-downgraded');

    // Back on the apps page, live: 28.4, healthy, and still offered the update.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Apps' }).click();
    await expect.poll(() => card.textContent(), { timeout: 30_000 }).toContain('28.4');
    await expect.poll(() => card.locator('[data-test=update-badge]').textContent()).toBe('Update to 31.0');
    await page.locator('[data-test=theme]').click();
    await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    await shoot('16-apps-update-badge-dark');

    // ---- the Core ⇄ Knots switch dialog shows the daemon's plan for it; cancelled, nothing moves ----
    await card.click();
    await page.locator('[data-test=open-switch]').click();
    await expect
      .poll(() => page.locator('[data-test=switch-plan]').textContent(), { timeout: 20_000 })
      .toContain('keeps the datadir, secrets and ports');
    expect(await page.locator('[data-test=apply-switch]').isDisabled()).toBe(true);
    await page.locator('[data-test=open-switch]').click();
    expect(await status()).toMatchObject({ version: '28.4', state: 'running' });

    // ---- stop, then remove: the end of the journey, through the same page ----
    await page.locator('[data-test=stop]').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => status().then((s) => s.state), { timeout: 60_000 }).toBe('stopped');
    await page.locator('[data-test=remove]').click();
    const removeDialog = page.getByRole('dialog');
    await expect.poll(() => removeDialog.textContent()).toContain('Its data is kept');
    await removeDialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('heading', { name: 'No apps yet' }).waitFor({ timeout: 60_000 });
    expect(await daemon.cliJson<AppStatus[]>(['list'])).toEqual([]);

    expect(problems).toEqual([]);
  }, 600_000);
});
