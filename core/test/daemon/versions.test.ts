// Versions, catalog and updates through a real daemon, real rootless Podman and the bitcoind TEST
// DOUBLE (127.0.0.1:5000/archy-test/bitcoin-core:<v>, regtest, the tests' own signed catalog): install at a chosen version,
// upgrade, guarded downgrades, a failed upgrade that restores the previous version, pins and
// auto-update, and a tampered catalog refresh.

import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AppConfigReport,
  AppStatus,
  AppVersionsReport,
  CatalogStatusReport,
  VersionChangeResult,
} from '../../src/api/contract.js';
import { tempDataDir, testCatalogDir, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import {
  datadirDigest,
  holdBitcoinAppsForFile,
  readAsContainerUser,
  writeBitcoinApps,
} from './bitcoin-apps.js';

holdBitcoinAppsForFile();

const marker = async (dataDir: string, id = 'bitcoin-core') =>
  JSON.parse(
    await readAsContainerUser(join(dataDir, 'apps', id, 'bitcoin', '.archipelago-version.json')),
  ) as {
    version: string;
    implementation: string;
  };

async function daemonWith(name: string, apps: string, env: Record<string, string> = {}): Promise<TestDaemon> {
  return startDaemon({ dataDir: tempDataDir(name), env: { ARCHY_APPS_DIR: apps, ...env } });
}

describe('choosing and changing Bitcoin Core versions', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await daemonWith('versions', await writeBitcoinApps({ failHealthOn: '30.0' }));
  });
  afterAll(async () => {
    await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
    await daemon?.stop();
  });

  it('lists the catalog versions (never a floating tag) and installs a chosen, non-default one', async () => {
    const catalog = await daemon.cliJson<CatalogStatusReport>(['catalog']);
    expect(catalog).toMatchObject({ source: 'bundled', expired: false });
    const listed = await daemon.cliJson<AppVersionsReport>(['versions', 'bitcoin-core']);
    expect(listed.versions.map((v) => v.version)).toEqual(['31.0', '30.0', '29.3', '28.4', '27.2']);
    expect(listed.versions.map((v) => v.version)).not.toContain('latest');
    expect(listed).toMatchObject({ installed: false, defaultVersion: '31.0', autoUpdate: false });
    const knots = await daemon.cliJson<AppVersionsReport>(['versions', 'bitcoin-knots']);
    expect(knots.versions[0]).toMatchObject({ version: '29.3.knots20260508', display: '29.3 (2026-05-08)' });

    const refused = await daemon.cli(['install', 'bitcoin-core', '--version', '99.0']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('not in the catalog');

    const status = await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '28.4']);
    expect(status).toMatchObject({
      id: 'bitcoin-core',
      version: '28.4',
      state: 'running',
      health: 'healthy',
    });
    expect(await marker(daemon.dataDir)).toMatchObject({ version: '28.4', implementation: 'core' });
    const after = await daemon.cliJson<AppVersionsReport>(['versions', 'bitcoin-core']);
    expect(after).toMatchObject({ installed: true, version: '28.4', update: { version: '31.0' } });
    // The RPC credentials are files from Podman secrets, not env or argv in the container config.
    const inspect = await podman(['inspect', 'archy-bitcoin-core']);
    expect(inspect).toContain('/run/secrets/rpcauth');
    expect(inspect).not.toMatch(/archipelago:[0-9a-f]{32}\$/);
  });

  it('upgrades 28.4 → 31.0 keeping the container name and data; the marker says 31.0', async () => {
    const before = await datadirDigest(
      join(daemon.dataDir, 'apps', 'bitcoin-core', 'bitcoin', 'regtest', 'blocks'),
    );
    const result = await daemon.cliJson<VersionChangeResult>(['set-version', 'bitcoin-core', '31.0']);
    expect(result).toMatchObject({ from: { version: '28.4' }, to: { version: '31.0' } });
    expect(result.status).toMatchObject({
      version: '31.0',
      state: 'running',
      containerName: 'archy-bitcoin-core',
    });
    expect(await marker(daemon.dataDir)).toMatchObject({ version: '31.0' });
    expect(
      await datadirDigest(join(daemon.dataDir, 'apps', 'bitcoin-core', 'bitcoin', 'regtest', 'blocks')),
    ).toBe(before);
  });

  it('a failed upgrade (31.0 → 30.0 whose health never passes) restores 31.0 with the data unchanged', async () => {
    const datadir = join(daemon.dataDir, 'apps', 'bitcoin-core', 'bitcoin');
    const before = await datadirDigest(datadir);
    // 30.0 is older than 31.0: the guard wants a confirmation (a reindex of the chainstate).
    const failed = await daemon.cli(['set-version', 'bitcoin-core', '30.0', '--confirm-downgrade']);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('did not become healthy');
    expect(failed.stderr).toContain('31.0 was restored');
    expect(failed.stderr).toContain('Last log lines of 30.0');
    const status = await daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
    expect(status).toMatchObject({ version: '31.0' });
    await waitFor(
      async () => (await daemon.cliJson<AppStatus>(['status', 'bitcoin-core'])).health === 'healthy',
      {
        what: '31.0 to be healthy again',
        timeoutMs: 20_000,
      },
    );
    expect(await datadirDigest(datadir)).toBe(before);
    expect(await marker(daemon.dataDir)).toMatchObject({ version: '31.0' });
  });

  it('refuses a downgrade 31.0 → 28.4 unconfirmed, saying what it means; confirmed it reindexes the chainstate', async () => {
    const refused = await daemon.cli(['set-version', 'bitcoin-core', '28.4']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('downgrading bitcoin-core 31.0 → 28.4');
    expect(refused.stderr).toContain('--confirm-downgrade');
    expect((await daemon.cliJson<AppStatus>(['status', 'bitcoin-core'])).version).toBe('31.0');

    const done = await daemon.cliJson<VersionChangeResult>([
      'set-version',
      'bitcoin-core',
      '28.4',
      '--confirm-downgrade',
    ]);
    expect(done).toMatchObject({ to: { version: '28.4' }, startArgs: ['-reindex-chainstate'] });
    expect(await marker(daemon.dataDir)).toMatchObject({ version: '28.4' });
  });

  it('refuses 28.4 → 27.2 even confirmed: 28+ created this datadir with a block-file key', async () => {
    const refused = await daemon.cli(['set-version', 'bitcoin-core', '27.2', '--confirm-downgrade']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('blocks/xor.dat');
    expect((await daemon.cliJson<AppStatus>(['status', 'bitcoin-core'])).version).toBe('28.4');
  });
});

describe('a pruned node', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await daemonWith('versions-pruned', await writeBitcoinApps({ prune: 550 }));
  });
  afterAll(async () => {
    await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
    await daemon?.stop();
  });

  it('blocks a downgrade that needs a reindex until the app id is typed, then re-syncs', async () => {
    await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '31.0']);
    const confirmedOnly = await daemon.cli(['set-version', 'bitcoin-core', '29.3', '--confirm-downgrade']);
    expect(confirmedOnly.code).not.toBe(0);
    expect(confirmedOnly.stderr).toContain('pruned');
    expect(confirmedOnly.stderr).toContain('(bitcoin-core)');
    const wrongWord = await daemon.cli([
      'set-version',
      'bitcoin-core',
      '29.3',
      '--confirm-downgrade',
      '--confirm-resync',
      'yes',
    ]);
    expect(wrongWord.stderr).toContain("you typed 'yes'");
    const done = await daemon.cliJson<VersionChangeResult>([
      'set-version',
      'bitcoin-core',
      '29.3',
      '--confirm-downgrade',
      '--confirm-resync',
      'bitcoin-core',
    ]);
    expect(done).toMatchObject({ to: { version: '29.3' }, startArgs: ['-reindex'] });
  });
});

describe('pins and auto-update', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await daemonWith('versions-auto', await writeBitcoinApps(), {
      ARCHY_CATALOG_REFRESH_MS: '1000',
    });
  });
  afterAll(async () => {
    await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
    await daemon?.stop();
  });

  it('a pin suppresses the update; unpinned with auto-update on, the periodic check updates to the default', async () => {
    await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '29.3']);
    const config = await daemon.cliJson<AppConfigReport>([
      'config',
      'bitcoin-core',
      '--pin',
      '29.3',
      '--auto-update',
      'on',
    ]);
    expect(config).toEqual({ id: 'bitcoin-core', pinnedVersion: '29.3', autoUpdate: true });
    expect(
      JSON.parse(readFileSync(join(daemon.dataDir, 'app-configs', 'bitcoin-core.json'), 'utf8')),
    ).toMatchObject({
      pinnedVersion: '29.3',
      autoUpdate: true,
    });
    const pinned = await daemon.cliJson<AppVersionsReport>(['versions', 'bitcoin-core']);
    expect(pinned.update).toBeUndefined();
    const update = await daemon.cli(['update', 'bitcoin-core']);
    expect(update.stderr).toContain('pinned to 29.3');
    // Several periodic checks pass: nothing moves.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect((await daemon.cliJson<AppStatus>(['status', 'bitcoin-core'])).version).toBe('29.3');

    await daemon.cliJson(['config', 'bitcoin-core', '--unpin']);
    await waitFor(
      async () => {
        const status = await daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
        return status.version === '31.0' && status.state === 'running';
      },
      {
        what: 'the auto-update to 31.0',
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    expect(await marker(daemon.dataDir)).toMatchObject({ version: '31.0' });
    const audit = readFileSync(join(daemon.dataDir, 'audit', 'audit.log'), 'utf8');
    expect(audit).toMatch(/"actor":"system","action":"package.update","target":"bitcoin-core"/);
  });
});

describe('catalog refresh', () => {
  let server: Server;
  let daemon: TestDaemon;
  beforeAll(async () => {
    // A loopback catalog server whose catalog.json was altered after signing.
    const tampered = readFileSync(join(testCatalogDir(), 'catalog.json'), 'utf8').replace('"30.0"', '"30.9"');
    server = createServer((req, res) => {
      if (req.url?.endsWith('/catalog.json'))
        res.writeHead(200, { 'content-type': 'application/json' }).end(tampered);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    daemon = await daemonWith('versions-catalog', await writeBitcoinApps(), {
      ARCHY_CATALOG_URL: `http://127.0.0.1:${port}/`,
      ARCHY_CATALOG_REFRESH_MS: '1000',
    });
  });
  afterAll(async () => {
    await daemon?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('refuses a tampered catalog, keeps the last good one and says why', async () => {
    const status = await waitFor(
      async () => {
        const report = await daemon.cliJson<CatalogStatusReport>(['catalog']);
        return report.lastRefresh ? report : undefined;
      },
      { what: 'a refresh attempt' },
    );
    expect(status).toMatchObject({
      source: 'bundled',
      metadataVersion: 1,
      lastRefresh: { ok: false, reason: 'signatures' },
    });
    const text = await daemon.cli(['catalog']);
    expect(text.stdout).toContain('FAILED');
    const versions = await daemon.cliJson<AppVersionsReport>(['versions', 'bitcoin-core']);
    expect(versions.versions.map((v) => v.version)).toContain('30.0');
  });
});
