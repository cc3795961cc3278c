import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, ConnectionInfo } from '../../src/api/contract.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { tempDataDir, uniqueAppId } from '../support/index.js';
import { readQr } from '../support/qr-read.js';
import { holdBitcoinAppsForFile } from '../daemon/bitcoin-apps.js';
import {
  LIGHTNING_VOLUME,
  MACAROON_PATH,
  readVolumeFile,
  secretIn,
  writeLightningStack,
  ZMQ,
  type LightningStack,
} from '../daemon/lightning-stack-apps.js';
import { podman } from '../support/podman-cli.js';
import { openBrowser, fillFirstRunForm } from './browser.js';

// Issue 15's "done when" in the web UI, end to end: real headless Chromium, the real daemon, real
// rootless Podman, TEST DOUBLES for the nodes (the bitcoind double as Bitcoin Core on regtest, the
// lightning double as an LND-shaped app). The user installs Bitcoin Core, then the Lightning app
// (its plan says the node restarts to take its login); the Lightning app's container has its own
// login and the ZMQ endpoints; its details page shows "How to connect", and after Reveal a QR code
// that, read back module by module from the SVG, is the daemon's lndconnect URI carrying the
// macaroon in the app's volume.

holdBitcoinAppsForFile();

/**
 * The QR symbol the page draws, module by module: asks the SVG path whether each module's centre
 * is filled (so it does not depend on how the path is written), then keeps the dark modules'
 * bounding box — the symbol, its finder patterns in three corners — and checks the quiet zone.
 */
async function qrModules(page: Page): Promise<{ modules: boolean[][]; quietZone: number }> {
  return page.locator('[data-test=qr]').evaluate((svg) => {
    const [, , width, height] = svg.getAttribute('viewBox')!.split(/\s+/).map(Number);
    // isPointInFill takes a plain {x, y} (DOMPointInit); core's tests are typed without the DOM lib.
    const path = svg.querySelector('path') as unknown as {
      isPointInFill(point: { x: number; y: number }): boolean;
    };
    const grid: boolean[][] = [];
    for (let y = 0; y < height!; y++) {
      const row: boolean[] = [];
      for (let x = 0; x < width!; x++) row.push(path.isPointInFill({ x: x + 0.5, y: y + 0.5 }));
      grid.push(row);
    }
    const dark = grid.flatMap((row, y) => row.flatMap((on, x) => (on ? [[x, y] as const] : [])));
    const left = Math.min(...dark.map(([x]) => x));
    const right = Math.max(...dark.map(([x]) => x));
    const top = Math.min(...dark.map(([, y]) => y));
    const bottom = Math.max(...dark.map(([, y]) => y));
    return {
      modules: grid.slice(top, bottom + 1).map((row) => row.slice(left, right + 1)),
      quietZone: Math.min(left, top, width! - 1 - right, height! - 1 - bottom),
    };
  });
}

describe('web UI: Bitcoin Core, then a Lightning app, and a QR code to connect a wallet', () => {
  let daemon: TestDaemon;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let shoot: (name: string) => Promise<void>;
  let stack: LightningStack;
  const ln = uniqueAppId('lightning-double');

  beforeAll(async () => {
    stack = await writeLightningStack({ lightning: ln, dependent: uniqueAppId('dependent-double') });
    daemon = await startDaemon({
      dataDir: tempDataDir('web-ui-lightning'),
      env: { ARCHY_APPS_DIR: stack.appsDir },
    });
    ({ context, page, problems, shoot } = await openBrowser());
  }, 900_000);

  afterAll(async () => {
    await context?.close();
    for (const id of [ln, 'bitcoin-core']) {
      await daemon?.cli(['remove', id, '--purge', '--yes']).catch(() => undefined);
    }
    await daemon?.stop();
  });

  it('installs Bitcoin Core and the Lightning app in the UI, then shows the lndconnect QR code', async () => {
    await page.goto(daemon.url);
    await fillFirstRunForm(page, daemon);
    await page.getByRole('heading', { name: 'No apps yet' }).waitFor();
    const marketplace = () =>
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Marketplace' }).click();
    const modal = page.getByRole('dialog');

    // ---- Bitcoin Core (the bitcoind double), as offered ----
    await marketplace();
    await page.locator('[data-app="bitcoin-core"]').click();
    await page.getByRole('heading', { name: 'Bitcoin Core' }).waitFor();
    await page.locator('[data-test=open-install]').click();
    await modal.locator('[data-test=install]').click();
    await modal.locator('[data-test=installed]').waitFor({ timeout: 120_000 });
    await expect
      .poll(() => modal.locator('[data-test=installed]').textContent(), { timeout: 60_000 })
      .toContain('Running · healthy');
    await modal.getByRole('button', { name: 'Close', exact: true }).click();

    // ---- the Lightning app: the plan restarts the node for the app's own login ----
    await marketplace();
    await page.locator(`[data-app="${ln}"]`).click();
    await page.getByRole('heading', { name: 'Lightning Double' }).waitFor();
    await page.locator('[data-test=open-install]').click();
    await expect
      .poll(() => modal.locator('[data-test=plan-steps] li').allTextContents(), { timeout: 20_000 })
      .toEqual([
        expect.stringMatching(/^Install Lightning Double 1\.0\.0/),
        expect.stringMatching(/^Restart Bitcoin Core /),
        expect.stringMatching(/^Start Lightning Double 1\.0\.0/),
      ]);
    expect(await modal.locator('[data-test=plan-logins]').textContent()).toContain(
      'Lightning Double gets its own RPC login for Bitcoin Core.',
    );
    await shoot('lightning-1-install-plan');
    await modal.locator('[data-test=install]').click();
    await modal.locator('[data-test=installed]').waitFor({ timeout: 120_000 });
    await expect
      .poll(() => modal.locator('[data-test=installed]').textContent(), { timeout: 60_000 })
      .toContain('Running · healthy');
    const list = await daemon.cliJson<AppStatus[]>(['list']);
    expect(list.map((app) => `${app.id} ${app.state}`).sort()).toEqual(
      [`${ln} running`, 'bitcoin-core running'].sort(),
    );

    // Its container got its own login at the node and the ZMQ endpoints (files and env).
    const env = await podman(['exec', `archy-${ln}`, 'env']);
    expect(env).toContain(`ARCHY_DEP_BITCOIN_NODE_RPC_USER=archy-${ln}`);
    for (const [topic, port] of Object.entries(ZMQ))
      expect(env).toContain(`ARCHY_DEP_BITCOIN_NODE_ZMQ_${topic.toUpperCase()}=tcp://bitcoin-node:${port}`);
    const password = await secretIn(ln, 'bitcoin-node-rpc-password');
    expect(await secretIn(ln, 'bitcoin-node-rpc-cookie')).toBe(`archy-${ln}:${password}`);

    // ---- its details page: How to connect, secrets hidden until revealed ----
    await modal.getByRole('button', { name: 'Open Lightning Double' }).click();
    await page.getByRole('heading', { name: 'Lightning Double' }).waitFor();
    const connect = page.getByRole('region', { name: 'How to connect' });
    await connect.locator('[data-test=uri-hint]').waitFor();
    expect(await connect.locator('[data-test=qr]').count()).toBe(0);
    expect(await connect.locator('[data-test=credential-masked]').count()).toBeGreaterThan(0);
    await shoot('lightning-2-how-to-connect');

    await connect.locator('[data-test=reveal]').click();
    const qr = connect.locator('[data-test=qr]');
    await qr.waitFor();
    expect(await qr.getAttribute('aria-label')).toBe(
      "QR code to connect a wallet to Lightning Double's Lightning node",
    );
    await shoot('lightning-3-qr-code');

    // ---- the QR code, read back: the daemon's lndconnect URI, with the volume's macaroon ----
    const { modules, quietZone } = await qrModules(page);
    expect(quietZone).toBeGreaterThanOrEqual(4);
    const reading = readQr(modules);
    expect(Number(await qr.getAttribute('data-version'))).toBe(reading.version);
    const info = await daemon.cliJson<ConnectionInfo>(['connection', ln, '--reveal', '--host', '127.0.0.1']);
    const uri = info.interfaces.find((entry) => entry.name === 'lightning-node')!.uri!;
    expect(reading.text).toBe(uri);
    const scanned = new URL(reading.text);
    expect(scanned.host).toBe(`127.0.0.1:${stack.grpcHostPort}`);
    const macaroon = await readVolumeFile(daemon.dataDir, ln, LIGHTNING_VOLUME, MACAROON_PATH);
    expect(Buffer.from(scanned.searchParams.get('macaroon')!, 'base64url').equals(macaroon)).toBe(true);
    expect(await connect.locator('[data-test=credential][data-secret=true]').allTextContents()).toContain(
      macaroon.toString('hex'),
    );
    expect(problems).toEqual([]);
  }, 600_000);
});
