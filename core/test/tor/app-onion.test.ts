// An app's own Tor, for real: a hello-shaped app with `tor: { onions: [{ port: 8080 }] }` gets the
// sidecar archy-<id>.tor (the host's tor, in an image built here, Tor with DisableNetwork 1 so
// nothing leaves the machine) in its main container's network namespace. Its onion address is
// made at install and kept across restart, daemon restart and set-version; purge takes it (a new
// install gets a new one), remove without purge keeps it; the control password is in no
// `podman inspect`; nothing is left behind.

import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { addVersion, emptyCatalog } from '../../src/catalog/index.js';
import { SecretStore } from '../../src/security/secrets/index.js';
import { freePort, helloImage, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { expectNothingLeft } from '../daemon/leftovers.js';
import { writeHelloManifest } from '../daemon/manifests.js';
import { writeSignedCatalog } from '../daemon/release-fixture.js';

const ONION = /^[a-z2-7]{56}\.onion$/;

describe('an app’s onion service', () => {
  const id = uniqueAppId('onion');
  const sidecar = `archy-${id}.tor`;
  const dataDir = tempDataDir('tor-app');
  let appsDir = '';
  let catalogDir = '';
  let daemon: TestDaemon | undefined;

  const start = async (): Promise<TestDaemon> =>
    startDaemon({
      dataDir,
      env: { ARCHY_TOR_DISABLE_NETWORK: '1', ARCHY_CATALOG_DIR: catalogDir, ARCHY_APPS_DIR: appsDir },
    });

  afterAll(async () => {
    // The sidecar first: Podman refuses to remove a container whose namespace another one shares.
    await podman(['rm', '--force', '--time', '0', '--ignore', sidecar]).catch(() => undefined);
    await podman(['rm', '--force', '--time', '0', '--ignore', `archy-${id}`]).catch(() => undefined);
    await daemon?.stop();
  });

  const status = (): Promise<AppStatus> => daemon!.cliJson<AppStatus>(['status', id]);
  const addressOf = async (): Promise<string | undefined> => (await status()).tor?.onions[0]?.address;
  const state = async (name: string): Promise<string> =>
    (await podman(['inspect', '--format', '{{.State.Status}}', name])).trim();

  it('is made at install, kept across restart, daemon restart and set-version, with the secret kept out of inspect', async () => {
    let catalog = emptyCatalog();
    for (const version of ['1.0.0', '1.1.0'])
      catalog = addVersion(catalog, id, { version, image: helloImage(version) });
    catalogDir = writeSignedCatalog('tor-app-catalog', catalog);
    appsDir = tempDataDir('tor-app-apps');
    mkdirSync(join(appsDir, id));
    const manifest = writeHelloManifest(appsDir, {
      id,
      hostPort: await freePort(),
      extra: 'tor: { onions: [{ port: 8080 }] }',
    });
    copyFileSync(manifest, join(appsDir, id, 'manifest.yml'));
    daemon = await start();

    const installed = await daemon.cliJson<AppStatus>(['install', id, '--version', '1.0.0']);
    expect(installed.state).toBe('running');
    const first = await status();
    expect(first.tor).toMatchObject({
      mode: 'clearnet',
      default: 'clearnet',
      sidecar: 'running',
      onions: [{ name: 'port-8080', port: 8080, virtualPort: 8080, source: 'manifest' }],
    });
    const address = first.tor!.onions[0]!.address!;
    expect(address).toMatch(ONION);
    expect(await state(sidecar)).toBe('running');

    // Tor runs in the app's network namespace, from the files the daemon wrote.
    const main = JSON.parse(await podman(['inspect', `archy-${id}`]))[0];
    const tor = JSON.parse(await podman(['inspect', sidecar]))[0];
    expect(tor.HostConfig.NetworkMode).toBe(`container:${main.Id}`);
    expect(tor.HostConfig.ReadonlyRootfs).toBe(true);
    const torDir = join(dataDir, 'apps', id, '.tor');
    for (const dir of [torDir, join(torDir, 'data'), join(torDir, 'onions')])
      expect((statSync(dir).mode & 0o777).toString(8), dir).toBe('700');
    const torrc = readFileSync(join(torDir, 'torrc'), 'utf8');
    expect(torrc).toMatch(/^HiddenServiceDir \/var\/lib\/tor\/onions\/port-8080$/m);
    expect(torrc).toMatch(/^HiddenServicePort 8080 127\.0\.0\.1:8080$/m);
    expect(torrc).toMatch(/^DisableNetwork 1$/m);
    expect(torrc).toMatch(/^SocksPort 0$/m);
    expect(torrc).toMatch(/^HashedControlPassword 16:[0-9A-F]{58}$/m);
    expect(readFileSync(join(torDir, 'onions/port-8080/hostname'), 'utf8').trim()).toBe(address);

    const password = await new SecretStore(dataDir).get(id, 'tor-control-password');
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(torrc).not.toContain(password!);
    for (const name of [`archy-${id}`, sidecar])
      expect(await podman(['inspect', name])).not.toContain(password!);

    expect((await daemon.cli(['restart', id])).code).toBe(0);
    expect(await addressOf()).toBe(address);
    expect(await state(sidecar)).toBe('running');
    const afterRestart = JSON.parse(await podman(['inspect', sidecar]))[0];
    const mainAfter = JSON.parse(await podman(['inspect', `archy-${id}`]))[0];
    expect(afterRestart.HostConfig.NetworkMode).toBe(`container:${mainAfter.Id}`);

    await daemon.stop();
    daemon = await start();
    expect(await addressOf()).toBe(address);
    expect((await status()).tor?.sidecar).toBe('running');

    const changed = await daemon.cli(['set-version', id, '1.1.0']);
    expect(changed.code, changed.stderr).toBe(0);
    const switched = await status();
    expect(switched.version).toBe('1.1.0');
    expect(switched.tor?.onions[0]?.address).toBe(address);
    expect(switched.tor?.sidecar).toBe('running');
    const sidecarNow = JSON.parse(await podman(['inspect', sidecar]))[0];
    const mainNow = JSON.parse(await podman(['inspect', `archy-${id}`]))[0];
    expect(sidecarNow.HostConfig.NetworkMode).toBe(`container:${mainNow.Id}`);

    // Stopped with the app, started with it again.
    expect((await daemon.cli(['stop', id])).code).toBe(0);
    expect(await state(sidecar)).not.toBe('running');
    expect((await daemon.cli(['start', id])).code).toBe(0);
    expect(await state(sidecar)).toBe('running');
    expect(await addressOf()).toBe(address);
  }, 300_000);

  it('serves Tor to the app alone, with its password, and starts it again in a crashed main’s new namespace', async () => {
    const password = (await new SecretStore(dataDir).get(id, 'tor-control-password'))!;
    const ask = async (secret: string): Promise<string> =>
      podman([
        'exec',
        `archy-${id}`,
        'sh',
        '-c',
        `printf 'AUTHENTICATE "%s"\\r\\nQUIT\\r\\n' "$1" | timeout 5 nc 127.0.0.1 9051`,
        'sh',
        secret,
      ]).catch((error: Error) => error.message);
    expect(await ask(password)).toMatch(/^250 OK/);
    expect(await ask('wrong')).toMatch(/^515 /);

    const before = JSON.parse(await podman(['inspect', sidecar]))[0].State.StartedAt as string;
    await podman(['kill', `archy-${id}`]);
    // Podman's restart policy or the supervisor brings the main back; its Tor follows it.
    await waitFor(
      async () => {
        const tor = JSON.parse(await podman(['inspect', sidecar]))[0];
        return tor.State.Running && tor.State.StartedAt !== before;
      },
      { what: 'the Tor sidecar to start again after the main crashed', timeoutMs: 60_000, intervalMs: 250 },
    );
    await waitFor(async () => /^250 OK/.test(await ask(password)), {
      what: 'Tor to answer in the restarted main’s namespace',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  }, 120_000);

  it('keeps the address over a remove without purge, and a purge takes the keys with the sidecar', async () => {
    const address = await addressOf();
    expect(address).toMatch(ONION);
    const removed = await daemon!.cli(['remove', id]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await podman(['ps', '-a', '--filter', `name=^${sidecar}$`, '--format', '{{.Names}}'])).toBe('');
    expect(
      existsSync(join(dataDir, 'apps', id, '.tor', 'onions', 'port-8080', 'hs_ed25519_secret_key')),
    ).toBe(true);

    await daemon!.cliJson<AppStatus>(['install', id, '--version', '1.0.0']);
    expect(await addressOf()).toBe(address);

    const purged = await daemon!.cli(['remove', id, '--purge', '--yes']);
    expect(purged.code, purged.stderr).toBe(0);
    await expectNothingLeft(daemon!, id);
    expect(await podman(['ps', '-a', '--filter', `name=^${sidecar}$`, '--format', '{{.Names}}'])).toBe('');

    await daemon!.cliJson<AppStatus>(['install', id, '--version', '1.0.0']);
    const fresh = await addressOf();
    expect(fresh).toMatch(ONION);
    expect(fresh).not.toBe(address);

    expect((await daemon!.cli(['remove', id, '--purge', '--yes'])).code).toBe(0);
    await expectNothingLeft(daemon!, id);
    expect(
      await podman([
        'ps',
        '-a',
        '--filter',
        `label=io.archipelago.data-dir=${dataDir}`,
        '--format',
        '{{.Names}}',
      ]),
    ).toBe('');
  }, 300_000);

  it('is removed by the boot reconcile with a main whose app record a crash lost', async () => {
    await daemon!.cliJson<AppStatus>(['install', id, '--version', '1.0.0']);
    expect(await state(sidecar)).toBe('running');
    await daemon!.kill();
    rmSync(join(dataDir, 'state', 'apps', `${id}.json`));
    daemon = await start();
    expect(
      await podman([
        'ps',
        '-a',
        '--filter',
        `label=io.archipelago.data-dir=${dataDir}`,
        '--format',
        '{{.Names}}',
      ]),
    ).toBe('');
  }, 300_000);
});
