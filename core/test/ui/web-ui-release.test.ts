import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { closedPortUrl, makeBuilders, type BuilderSet } from '../../src/pipeline/spec-release-fixture.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { tempDataDir } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { sha256Hex } from '../pipeline/pipeline-fixture.js';
import { holdBitcoinAppsForFile } from '../daemon/bitcoin-apps.js';
import {
  makeDoubleRelease,
  releaseFolder,
  serveBuilderKeys,
  serveRelease,
  writeReleaseApps,
  writeReleaseCatalog,
  type BuiltRelease,
} from '../daemon/release-fixture.js';
import { startReleaseMirror, type ReleaseMirror } from '../daemon/release-mirror.js';
import { DESKTOP, openBrowser, PASSWORD, PHONE, SCREENSHOTS, fillFirstRunForm } from './browser.js';

// Bitcoin Core from its official release, through the web UI: real headless Chromium, the real
// daemon with image verification ON (ARCHY_UNSIGNED_REGISTRIES empty), real rootless Podman. The "official"
// release is served by a mirror on 127.0.0.1 (test/daemon/release-mirror.ts) in upstream's layout,
// its bitcoind the bitcoind TEST DOUBLE compiled to claim the version; the builder keys and the
// catalog's keys are made here. The journey: choose the chain and pruning in the install dialog
// (the inline check refuses a bad size) → watch the node download (paced, so it is seen) and build
// the image → the details page shows the provenance, the chain and pruning → download the SBOM →
// turn pruning off behind the typed confirmation; then refusals shown in full, with the sources
// tried. Nothing leaves loopback.

holdBitcoinAppsForFile();

/** Its own repository, so no image another test built under the same tag is ever taken for this one. */
const REPOSITORY = 'localhost/archy-test/web-ui-release/bitcoin-core';
/** Installed; the catalog's default. */
const GOOD = '31.0';
/** SHA256SUMS signed by two pinned builders; three needed. */
const TOO_FEW = '28.1';
/** Its sources are a closed port and a folder the mirror does not have. */
const OFFLINE = '28.3';
const PRUNE_GB = 2;
/** The good tarball (~4.2 MB) arrives in about two seconds: long enough to watch it come. */
const DOWNLOAD_BYTES_PER_SECOND = 2_000_000;

interface Fixture {
  mirror: ReleaseMirror;
  builders: BuilderSet;
  releases: Map<string, BuiltRelease>;
  /** What bitcoind in the good release's image must hash to. */
  goodBitcoind: Buffer;
  catalogDir: string;
}

async function makeFixture(): Promise<Fixture> {
  const work = tempDataDir('web-ui-release');
  const mirror = await startReleaseMirror();
  try {
    const builders = await makeBuilders();
    const releases = new Map<string, BuiltRelease>();
    const { alice, bob, carol } = builders;
    for (const version of [GOOD, TOO_FEW, OFFLINE]) {
      // Filler gives the good download some seconds at the mirror's pace; the refused ones are never fetched.
      const release = await makeDoubleRelease(
        join(work, `release-${version}`),
        version,
        version === GOOD ? 4 << 20 : 0,
      );
      releases.set(version, release);
      if (version !== OFFLINE)
        await serveRelease(mirror, release, version === TOO_FEW ? [alice, bob] : [alice, bob, carol]);
    }
    serveBuilderKeys(mirror, builders);
    const closed = await closedPortUrl();
    const catalogDir = writeReleaseCatalog({
      name: 'web-ui-release-catalog',
      mirror,
      builders,
      releases,
      repository: REPOSITORY,
      defaultVersion: GOOD,
      overrides: (version) =>
        version === OFFLINE ? { sources: [`${closed}bin/`, `${mirror.url}nothing-here/`] } : {},
    });
    return { mirror, builders, releases, goodBitcoind: releases.get(GOOD)!.bitcoind, catalogDir };
  } catch (error) {
    await mirror.close();
    throw error;
  }
}

/**
 * The test Bitcoin manifests with bitcoin-core's image in this file's repository and its chain
 * back to the product's default, mainnet: regtest must come from the dialog, or the node is
 * mainnet (and never healthy: the test health check asks the regtest RPC).
 */
const writeApps = (): Promise<string> =>
  writeReleaseApps(REPOSITORY, GOOD, (manifest) => {
    manifest.command = (manifest.command as string[]).filter((arg) => arg !== '-regtest');
    (manifest.bitcoin as Record<string, unknown>).network = 'mainnet';
  });

const removeImages = async (): Promise<void> => {
  for (const version of [GOOD, TOO_FEW, OFFLINE])
    await podman(['rmi', '--ignore', `${REPOSITORY}:${version}`]).catch(() => undefined);
};

/** The few browser globals the page-side code uses (core's tests compile without the DOM lib). */
interface PhaseWatch {
  document: {
    body: unknown;
    querySelector(selector: string): {
      getAttribute(name: string): string | null;
      querySelector(selector: string): { textContent: string | null } | null;
    } | null;
  };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
  __imagePhases: { phase: string; amount?: string }[];
}

/**
 * From now on the page notes every phase the image progress panel shows, and each download
 * amount: a phase may last less than the test's polling interval, never less than a render.
 */
async function watchImagePhases(page: Page): Promise<() => Promise<{ phase: string; amount?: string }[]>> {
  await page.evaluate(() => {
    const w = globalThis as unknown as PhaseWatch;
    const seen: PhaseWatch['__imagePhases'] = [];
    w.__imagePhases = seen;
    const note = (): void => {
      const panel = w.document.querySelector('[data-test=image-progress]');
      if (!panel) return;
      const phase = panel.getAttribute('data-phase') ?? '';
      const amount = panel.querySelector('[data-test=image-amount]')?.textContent ?? undefined;
      const last = seen.at(-1);
      if (last?.phase !== phase || last.amount !== amount) seen.push({ phase, ...(amount && { amount }) });
    };
    new w.MutationObserver(note).observe(w.document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
  return () => page.evaluate(() => (globalThis as unknown as PhaseWatch).__imagePhases);
}

interface StyledElements {
  document: { querySelectorAll(selector: string): Iterable<{ style: { visibility: string } }> };
}

/** Wholly inside the window as it is, without scrolling anything. */
async function inViewport(locator: Locator): Promise<boolean> {
  const box = await locator.boundingBox();
  const size = locator.page().viewportSize();
  return (
    !!box &&
    !!size &&
    box.y >= 0 &&
    box.x >= 0 &&
    box.y + box.height <= size.height &&
    box.x + box.width <= size.width
  );
}

interface CycloneDx {
  bomFormat: string;
  components: { purl?: string; components?: { name: string; hashes?: { content: string }[] }[] }[];
}

describe('web UI: Bitcoin Core built from its verified official release, in Chromium', () => {
  let fixture: Fixture;
  let daemon: TestDaemon;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let shoot: (name: string) => Promise<void>;

  beforeAll(async () => {
    await removeImages();
    fixture = await makeFixture();
    daemon = await startDaemon({
      dataDir: tempDataDir('web-ui-release-node'),
      env: {
        ARCHY_CATALOG_DIR: fixture.catalogDir,
        ARCHY_APPS_DIR: await writeApps(),
        // Verification on: the image is trusted because this node built it from verified inputs.
        ARCHY_UNSIGNED_REGISTRIES: '',
      },
    });
    ({ context, page, problems, shoot } = await openBrowser());
  }, 300_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await daemon
      ?.cli(['remove', 'bitcoin-core', '--purge', '--yes'], { timeoutMs: 60_000 })
      .catch(() => undefined);
    await daemon?.stop();
    await fixture?.mirror.close();
    await removeImages();
  }, 120_000);

  const status = () => daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
  const openBitcoinCore = async (): Promise<void> => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Marketplace' }).click();
    await page.locator('[data-app="bitcoin-core"]').click();
    await page.getByRole('heading', { name: 'Bitcoin Core' }).waitFor();
  };
  const tarballPath = () => `${releaseFolder(GOOD)}${fixture.releases.get(GOOD)!.tarballName}`;

  it('installs on regtest, pruned, watching the download and build; shows provenance, hands out the SBOM, turns pruning off', async () => {
    const release = fixture.releases.get(GOOD)!;

    // ---- first run (the admin password), then Bitcoin Core in the marketplace ----
    await page.goto(daemon.url);
    await fillFirstRunForm(page, daemon);
    await page.getByRole('heading', { name: 'No apps yet' }).waitFor();
    await openBitcoinCore();

    // ---- the install dialog: the signed catalog's versions, the chain, pruning ----
    await page.locator('[data-test=open-install]').click();
    const modal = page.getByRole('dialog');
    const versionSelect = modal.locator('[data-test=version-select]');
    await versionSelect.waitFor();
    expect(await versionSelect.inputValue()).toBe(GOOD);
    expect((await versionSelect.locator('option').allTextContents()).map((text) => text.trim())).toEqual([
      `${GOOD} · recommended`,
      OFFLINE,
      TOO_FEW,
    ]);
    // Mainnet unless the user says otherwise; the chain is then fixed for the node's data.
    expect(await modal.locator('[data-test=network-mainnet]').isChecked()).toBe(true);
    expect(await modal.locator('[data-test=network-choice]').textContent()).toContain('fixed');
    await modal.locator('[data-test=network-regtest]').check();
    expect(await modal.locator('[data-test=network-mainnet]').isChecked()).toBe(false);

    const install = modal.locator('[data-test=install]');
    const pruneGb = modal.locator('[data-test=prune-gb]');
    const pruneError = modal.locator('[data-test=prune-error]');
    expect(await pruneGb.count()).toBe(0);
    await modal.locator('[data-test=prune-toggle]').check();
    expect(await pruneGb.inputValue()).toBe('10');
    // The inline check: nothing below 1 GB, nothing but a whole number, and Install waits for it.
    for (const [typed, says] of [
      ['0', 'Enter at least 1 GB.'],
      ['', 'Enter a size in GB.'],
      ['2.5', 'Enter a whole number of GB.'],
    ] as const) {
      await pruneGb.fill(typed);
      await expect.poll(() => pruneError.textContent()).toBe(says);
      expect(await pruneGb.getAttribute('aria-invalid')).toBe('true');
      expect(await install.isDisabled(), `Install with ${JSON.stringify(typed)} GB`).toBe(true);
    }
    await pruneGb.fill(String(PRUNE_GB));
    await expect.poll(() => pruneError.count()).toBe(0);
    expect(await install.isDisabled()).toBe(false);
    // The dialog is taller than a laptop screen: its body scrolls, Install stays in sight.
    expect(await inViewport(install), 'Install is on screen without scrolling').toBe(true);
    await shoot('17-install-chain-prune');

    // ---- install: the node's image work, live (the mirror sends the tarball slowly) ----
    fixture.mirror.pace(tarballPath(), DOWNLOAD_BYTES_PER_SECOND);
    const phasesSeen = await watchImagePhases(page);
    const started = Date.now();
    await install.click();
    await expect
      .poll(() => modal.locator('[data-test=install-summary]').textContent())
      .toBe(`${GOOD} · Regtest · pruned to ${PRUNE_GB} GB`);
    const progress = modal.locator('[data-test=image-progress]');
    await modal.locator('[data-test=image-progress][data-phase=download]').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => modal.locator('[data-test=image-amount]').textContent(), { timeout: 10_000 })
      .toMatch(new RegExp(`^\\d+(\\.\\d)? (B|KB|MB) of ${(release.tarball.length / 1e6).toFixed(1)} MB$`));
    expect(await progress.locator('[data-test=image-step]').textContent()).toBe(
      'Downloading the official release',
    );
    await shoot('18-install-downloading');
    await modal.locator('[data-test=installed]').waitFor({ timeout: 120_000 });
    const installSeconds = (Date.now() - started) / 1000;
    await expect
      .poll(() => modal.locator('[data-test=installed]').textContent(), { timeout: 60_000 })
      .toContain('Running · healthy');
    expect(await modal.locator('[data-test=installed-chain]').textContent()).toBe(
      `Chain: Regtest, pruned to ${PRUNE_GB} GB.`,
    );
    fixture.mirror.pace(tarballPath(), null);

    const phases = await phasesSeen();
    const order = phases.map((seen) => seen.phase).filter((phase, i, all) => phase !== all[i - 1]);
    console.log(
      `[web-ui-release] install took ${installSeconds.toFixed(1)} s; phases shown: ${order.join(' → ')}`,
    );
    expect(order).toEqual(expect.arrayContaining(['download', 'build']));
    expect(order.indexOf('download')).toBeLessThan(order.indexOf('build'));
    // The amount moved while the tarball came: several readings, growing.
    const amounts = [...new Set(phases.flatMap((seen) => (seen.phase === 'download' && seen.amount) || []))];
    expect(amounts.length, amounts.join(' | ')).toBeGreaterThanOrEqual(2);

    const installed = await status();
    expect(installed).toMatchObject({
      version: GOOD,
      state: 'running',
      health: 'healthy',
      bitcoin: { network: 'regtest', prune: PRUNE_GB },
    });
    await modal.getByRole('button', { name: 'Open Bitcoin Core' }).click();

    // ---- details: where the image comes from, the chain and pruning ----
    const card = page.locator('[data-test=provenance]');
    await card.waitFor();
    expect(await card.locator('[data-test=provenance-sha256]').textContent()).toBe(
      sha256Hex(release.tarball),
    );
    expect(await card.locator('[data-test=provenance-tarball]').textContent()).toBe(release.tarballName);
    expect(await card.locator('[data-test=provenance-source]').textContent()).toBe(
      `${fixture.mirror.releases}bitcoin-core-${GOOD}/${release.tarballName}`,
    );
    const { alice, bob, carol } = fixture.builders;
    const signers = card.locator('[data-test=provenance-signers] li');
    expect(
      (await signers.evaluateAll((items) => items.map((li) => li.getAttribute('data-fingerprint')))).sort(),
    ).toEqual([alice, bob, carol].map((b) => b.fingerprint).sort());
    expect(await card.locator('[data-test=provenance-signed]').textContent()).toBe(
      'Signed by 3 pinned builders (3 required)',
    );
    expect(await card.locator('[data-test=provenance-headline]').textContent()).toContain(
      `Built on this node from the official Bitcoin Core ${GOOD} release`,
    );
    expect(await card.locator('[data-test=provenance-image-id]').textContent()).toBe(
      installed.provenance!.imageId,
    );
    expect(await page.locator('[data-test=node-network]').textContent()).toContain('Regtest');
    expect(await page.locator('[data-test=node-prune]').textContent()).toBe(
      `Pruned to ${PRUNE_GB} GB: keeps only the newest blocks`,
    );
    expect(await page.locator('[data-test=prune-enabled]').isChecked()).toBe(true);
    expect(await page.locator('[data-test=prune-size]').inputValue()).toBe(String(PRUNE_GB));
    await shoot('19-release-provenance');
    await card.screenshot({ path: join(SCREENSHOTS, '19-release-provenance-card-desktop.png') });
    await page.setViewportSize(PHONE);
    // The card alone: without the sticky top bar and the phone's bottom tabs drawn over it (set
    // through the CSSOM: the page's CSP refuses injected style sheets, and says so in the console).
    const overlays = (hidden: boolean) =>
      page.evaluate((hide) => {
        const w = globalThis as unknown as StyledElements;
        for (const element of w.document.querySelectorAll('.topbar, .mainnav'))
          element.style.visibility = hide ? 'hidden' : '';
      }, hidden);
    await overlays(true);
    await card.screenshot({ path: join(SCREENSHOTS, '19-release-provenance-card-phone.png') });
    await overlays(false);
    await page.setViewportSize(DESKTOP);

    // ---- the SBOM, as a file the browser saves ----
    const download = page.waitForEvent('download');
    await card.locator('[data-test=download-sbom]').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`bitcoin-core-${GOOD}.cdx.json`);
    const saved = join(tempDataDir('sbom-download'), file.suggestedFilename());
    await file.saveAs(saved);
    const sbom = JSON.parse(readFileSync(saved, 'utf8')) as CycloneDx;
    expect(sbom.bomFormat).toBe('CycloneDX');
    const fromRelease = sbom.components.find((c) => c.purl?.includes(sha256Hex(release.tarball)));
    const bitcoind = fromRelease?.components?.find((f) => f.name === '/usr/local/bin/bitcoind');
    expect(bitcoind?.hashes?.[0]?.content).toBe(sha256Hex(fixture.goodBitcoind));
    // The page checked what it saved against the node's record (127.0.0.1 is a secure context).
    expect(await card.locator('[data-test=sbom-saved]').textContent()).toBe(
      `Saved bitcoin-core-${GOOD}.cdx.json; its SHA-256 matches the node's record.`,
    );
    expect(sha256Hex(readFileSync(saved))).toBe(installed.provenance!.sbom.sha256);

    // ---- pruning off: only with the app id typed, and the daemon says what it does ----
    await page.locator('[data-test=prune-enabled]').uncheck();
    const apply = page.locator('[data-test=apply-prune]');
    expect(await apply.textContent()).toContain('Turn pruning off');
    await apply.click();
    const dialog = page.locator('[data-test=prune-off-dialog]');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('download and verify the whole chain again');
    const confirm = dialog.locator('[data-test=confirm]');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.locator('[data-test=confirm-text]').fill('bitcoin');
    expect(await confirm.isDisabled()).toBe(true);
    await shoot('20-prune-off-confirm');
    // Nothing was sent while the dialog waited.
    expect((await status()).bitcoin).toEqual({ network: 'regtest', prune: PRUNE_GB });
    await dialog.locator('[data-test=confirm-text]').fill('bitcoin-core');
    await confirm.click();
    await expect
      .poll(() => page.locator('[data-test=prune-message]').textContent(), { timeout: 90_000 })
      .toBe(
        'Restarted without pruning, with a one-time -reindex: the node downloads and verifies every block again.',
      );
    expect(await dialog.count()).toBe(0);
    expect(await page.locator('[data-test=prune-failure]').count()).toBe(0);
    await expect
      .poll(() => page.locator('[data-test=node-prune]').textContent())
      .toBe('Off: keeps every block');
    expect(await page.locator('[data-test=prune-enabled]').isChecked()).toBe(false);
    expect((await status()).bitcoin).toEqual({ network: 'regtest' });
    await expect
      .poll(() => status().then((s) => `${s.state} ${s.health}`), { timeout: 60_000 })
      .toBe('running healthy');

    expect(problems).toEqual([]);
  }, 240_000);

  it('shows a refusal in full: too few builder signatures, then every source tried when none answers', async () => {
    await daemon.cli(['remove', 'bitcoin-core', '--purge', '--yes'], { timeoutMs: 60_000 });
    // From a fresh page, whatever the journey before left open; logged in, or the password set now.
    await page.goto(daemon.url);
    const loggedIn = page.getByRole('heading', { name: 'Apps', exact: true });
    const firstRun = page.getByRole('heading', { name: 'Welcome to your node' });
    await loggedIn
      .or(firstRun)
      .or(page.getByRole('heading', { name: 'Log in' }))
      .waitFor();
    if (await firstRun.isVisible()) {
      await fillFirstRunForm(page, daemon);
    } else if (!(await loggedIn.isVisible())) {
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
    }
    await loggedIn.waitFor();
    await openBitcoinCore();
    await page.locator('[data-test=open-install]').click();
    const modal = page.getByRole('dialog');
    await modal.locator('[data-test=version-select]').selectOption(TOO_FEW);
    await modal.locator('[data-test=network-regtest]').check();
    await modal.locator('[data-test=install]').click();

    const refusal = modal.locator('[data-test=refusal]');
    await refusal.waitFor({ timeout: 60_000 });
    const tooFew = (await refusal.locator('[data-test=refusal-text]').textContent()) ?? '';
    expect(tooFew).toMatch(/only 2 good signatures from distinct pinned builders on SHA256SUMS, 3 needed/);
    // In full: the daemon's whole sentence, to its end (the CLI gives the same one).
    const cli = await daemon.cli(['install', 'bitcoin-core', '--version', TOO_FEW, '--network', 'regtest']);
    expect(cli.code).not.toBe(0);
    const cliLine = cli.stderr
      .trim()
      .split('\n')
      .at(-1)!
      .replace(/^archy: /, '');
    expect(tooFew.toLowerCase()).toBe(cliLine.toLowerCase());
    expect(await modal.locator('[data-test=install]').textContent()).toContain('Try again');
    expect(await inViewport(modal.locator('[data-test=install]'))).toBe(true);
    await shoot('21-refusal-signatures');
    // Never fetched: the signatures are checked before the tarball.
    expect(
      fixture.mirror.requests.filter(
        (r) => r.path === `${releaseFolder(TOO_FEW)}${fixture.releases.get(TOO_FEW)!.tarballName}`,
      ),
    ).toEqual([]);

    // Another version, whose sources are a closed port and a folder the mirror lacks.
    await modal.locator('[data-test=version-select]').selectOption(OFFLINE);
    await modal.locator('[data-test=install]').click();
    await expect
      .poll(() => refusal.locator('[data-test=refusal-text]').textContent(), { timeout: 60_000 })
      .toMatch(/could not get Bitcoin Core 28\.3: no source served SHA256SUMS/i);
    const tried = refusal.locator('[data-test=sources-tried] li');
    await expect.poll(() => tried.count()).toBe(2);
    // Each source: its URL, then what it answered.
    const [closedPort, missing] = await Promise.all(
      [0, 1].map((n) => tried.nth(n).locator(':scope > span').allTextContents()),
    );
    expect(closedPort![0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bin\/bitcoin-core-28\.3\/SHA256SUMS$/);
    expect(closedPort![1]).toMatch(/refused/i);
    expect(missing).toEqual([
      `${fixture.mirror.url}nothing-here/bitcoin-core-28.3/SHA256SUMS`,
      'not found (HTTP 404)',
    ]);
    await shoot('22-refusal-sources');

    expect(await daemon.cliJson<AppStatus[]>(['list'])).toEqual([]);
    expect(problems).toEqual([]);
  }, 120_000);
});
