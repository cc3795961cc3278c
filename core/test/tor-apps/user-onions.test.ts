// Onions the user adds, through a real daemon, real rootless Podman and real Tor (DisableNetwork 1:
// Tor makes the onion's key and address offline, nothing leaves this machine): `archy onion add`
// on a hello-shaped test app (no tor: block) gives an address that survives a restart, refuses a
// second onion on the port, `archy onion remove` takes it and its key away; the Tor mode switch is
// refused for an app without tor:.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnionChangeResult, TorStatusReport } from '../../src/api/contract.js';
import { freePort, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { writeHelloManifest } from '../daemon/manifests.js';

const ONION = /^[a-z2-7]{56}\.onion$/;

describe('onions the user adds', () => {
  const id = uniqueAppId('onion');
  const dataDir = tempDataDir('tor-onions');
  let daemon: TestDaemon;

  const onionsOf = async (): Promise<TorStatusReport['apps'][number] | undefined> => {
    const listed = await daemon.cli(['onion', 'list', id, '--json']);
    return listed.code === 0 ? (JSON.parse(listed.stdout) as TorStatusReport['apps'][number]) : undefined;
  };
  const addressOf = async (port: number): Promise<string | undefined> =>
    (await onionsOf())?.onions.find((onion) => onion.port === port)?.address;

  beforeAll(async () => {
    daemon = await startDaemon({ dataDir, env: { ARCHY_TOR_DISABLE_NETWORK: '1' } });
    const manifest = writeHelloManifest(tempDataDir('tor-onions-manifest'), {
      id,
      hostPort: await freePort(),
    });
    const installed = await daemon.cli(['install', manifest], { timeoutMs: 180_000 });
    expect(installed.code, installed.stderr).toBe(0);
  });
  afterAll(async () => {
    await daemon?.cli(['remove', id, '--purge', '--yes'], { timeoutMs: 120_000 });
    await daemon?.stop();
  });

  it('refuses a Tor mode for an app without tor:, naming the onion instead', async () => {
    const refused = await daemon.cli(['config', id, '--tor', 'on']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('has no Tor mode');
    expect(refused.stderr).toContain(`archy onion add ${id} <port>`);
  });

  it('adds an onion whose address survives a restart', async () => {
    const added = await daemon.cli(['onion', 'add', id, '8080', '--virtual-port', '80', '--json'], {
      timeoutMs: 180_000,
    });
    expect(added.code, added.stderr).toBe(0);
    const result = JSON.parse(added.stdout) as OnionChangeResult;
    expect(result.tor?.onions).toEqual([
      expect.objectContaining({ name: 'port-8080', port: 8080, virtualPort: 80, source: 'user' }),
    ]);
    const address = await waitFor(() => addressOf(8080), { what: 'the onion address', timeoutMs: 60_000 });
    expect(address).toMatch(ONION);
    expect(await podman(['inspect', '--format', '{{.State.Status}}', `archy-${id}.tor`])).toContain(
      'running',
    );
    expect((await daemon.cli(['status', id])).stdout).toContain(`${address}:80`);

    const again = await daemon.cli(['onion', 'add', id, '8080']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(`archy onion remove ${id} 8080`);

    const restarted = await daemon.cli(['restart', id], { timeoutMs: 120_000 });
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(
      await waitFor(() => addressOf(8080), { what: 'the address after restart', timeoutMs: 60_000 }),
    ).toBe(address);
  });

  it('removes the onion and its key', async () => {
    const keyDir = join(dataDir, 'apps', id, '.tor', 'onions', 'port-8080');
    const removed = await daemon.cli(['onion', 'remove', id, '8080'], { timeoutMs: 120_000 });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('the onion for port 8080 was removed');
    expect((await onionsOf())?.onions ?? []).toEqual([]);
    expect(existsSync(keyDir)).toBe(false);

    const unknown = await daemon.cli(['onion', 'remove', id, '8080']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('has no onion you added for port 8080');
  });
});
