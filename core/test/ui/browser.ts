// Real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) for the web UI's
// end-to-end tests: one way to launch it, collect what the page complains about, and save
// screenshots at desktop and phone widths under test-output/screenshots/.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDataDir } from '../support/index.js';
import type { TestDaemon } from '../support/daemon-harness.js';

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
export const SCREENSHOTS = join(REPO_ROOT, 'test-output/screenshots');
export const PASSWORD = 'correct horse battery staple';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
const UI_INDEX = join(REPO_ROOT, 'ui/dist/index.html');
const CHROMIUM = '/usr/bin/chromium';

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far: a test ends by expecting none. */
  problems: string[];
  /** Screenshots the current screen at desktop width, then at phone width, as `<name>-desktop.png` / `-phone.png`. */
  shoot(name: string): Promise<void>;
}

export async function openBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/host-setup.sh --test (it installs Chromium)`);
  }
  if (!existsSync(UI_INDEX)) throw new Error(`${UI_INDEX} is missing: run npm run build first`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  const context = await chromium.launchPersistentContext(tempDataDir('chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: DESKTOP,
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx as "Failed to load resource"; refusals the tests provoke are such.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${message.text()}`);
    }
  });

  async function shoot(name: string): Promise<void> {
    await page.waitForLoadState('networkidle').catch(() => undefined);
    // From the top: a full-page shot of a scrolled page draws the sticky header mid-page.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
    await page.setViewportSize(DESKTOP);
  }

  return { context, page, problems, shoot };
}

/**
 * The first-run form: the setup code as the owner gets it (`archy web setup-code`, with the
 * bearer token), the password twice. The page must already show the setup form.
 */
export async function fillFirstRunForm(page: Page, daemon: TestDaemon): Promise<void> {
  const code = await daemon.cli(['web', 'setup-code']);
  if (code.code !== 0) throw new Error(`archy web setup-code failed: ${code.stderr}`);
  await page.getByLabel('Setup code').fill(code.stdout.trim());
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set password and continue' }).click();
}
