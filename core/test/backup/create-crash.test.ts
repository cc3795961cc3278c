// A daemon SIGKILLed in the middle of a backup (issue 17): restic ends with it, and the next
// start converges — the app it had stopped runs again (its desired state was never changed), the
// metadata folder with the apps' secrets in plain text is gone, restic's stale lock is handled,
// and the next backup works.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, BackupSnapshotInfo } from '../../src/api/contract.js';
import { processTable } from '../../src/util/process-table.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { helloImage, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podmanJson } from '../support/podman-cli.js';
import { startRestServer, type RestServer } from '../support/rest-server.js';

/** Enough data that restic is still writing when the test kills the daemon. */
const DATA_BYTES = 150_000_000;

async function running(id: string): Promise<boolean> {
  const [inspect] = await podmanJson<Array<{ State: { Running: boolean } }>>([
    'container',
    'inspect',
    `archy-${id}`,
  ]);
  return inspect!.State.Running;
}

describe('a daemon killed during a backup', () => {
  let daemon: TestDaemon;
  let server: RestServer;
  let dir: string;
  const app = uniqueAppId('bkcrash');

  beforeAll(async () => {
    dir = tempDataDir('backup-crash');
    server = await startRestServer();
    daemon = await startDaemon({
      dataDir: dir,
      env: { ARCHY_TOR_DISABLE_NETWORK: '1', ARCHY_TEST_PAUSE_AT: 'backup-snapshot' },
    });
    const file = join(dir, '..', `${app}.yml`);
    writeFileSync(
      file,
      [
        `id: ${app}`,
        'name: Backup crash test app',
        'version: "1.0.0"',
        `image: ${helloImage('1.0.0')}`,
        `command: ["/bin/sh", "-c", "[ -f /data/big.bin ] || head -c ${DATA_BYTES} /dev/urandom > /data/big.bin.tmp && mv /data/big.bin.tmp /data/big.bin; exec httpd -f -p 8080 -h /www"]`,
        'volumes: [{ mount: /data, name: data }]',
        'stopTimeout: 2s',
        '',
      ].join('\n'),
    );
    await daemon.cliJson(['install', file]);
    await daemon.cliJson(['backup', 'init', '--to', server.repository('node'), '--confirm-key-saved']);
  }, 180_000);
  afterAll(async () => {
    await daemon?.cli(['remove', app, '--purge', '--yes']).catch(() => undefined);
    await daemon?.stop();
    await server?.stop();
  });

  it('restic dies with it, and the next start brings the app back, removes the staging and backs up again', async () => {
    await waitFor(async () => (await daemon.cli(['status', app, '--json'])).stdout.includes('"running"'), {
      what: 'the app to run with its data written',
      timeoutMs: 60_000,
    });
    const locks = join(server.dir, 'node', 'locks');
    const create = daemon.spawnCli(['backup', 'create', app]);
    await waitFor(() => daemon.log().includes('paused at backup-snapshot'), {
      what: 'the backup to reach its pause point',
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    // restic is running (its lock is in the repository) when the daemon dies.
    await waitFor(() => existsSync(locks) && readdirSync(locks).length > 0, {
      what: "restic's lock in the repository",
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    expect(await running(app)).toBe(false);
    expect(existsSync(join(dir, 'archy-backup'))).toBe(true);
    await daemon.kill();
    create.kill('SIGKILL');
    // Parent-death signals end podman unshare and restic with the daemon.
    const repositoryUrl = server.repository('node');
    await waitFor(() => !processTable().some((proc) => proc.args.includes(repositoryUrl)), {
      what: 'restic to end with the daemon',
      timeoutMs: 15_000,
    });
    expect(readdirSync(locks).length, 'the killed restic left its lock').toBeGreaterThan(0);

    daemon = await startDaemon({
      dataDir: dir,
      env: { ARCHY_TOR_DISABLE_NETWORK: '1' },
      readyTimeoutMs: 60_000,
    });
    // The boot reconcile started the app the backup had stopped; the plain-text metadata is gone.
    expect(existsSync(join(dir, 'archy-backup'))).toBe(false);
    await waitFor(async () => (await daemon.cliJson<AppStatus>(['status', app])).state === 'running', {
      what: 'the app to run again',
      timeoutMs: 30_000,
    });
    expect(await running(app)).toBe(true);
    // check takes an exclusive lock: the stale one is removed, not reported as busy.
    const verify = await daemon.cli(['backup', 'verify'], { timeoutMs: 120_000 });
    expect(verify.code, verify.stderr).toBe(0);
    expect(daemon.log()).toMatch(/the repository is locked; removing stale locks/);
    const snapshot = await daemon.cliJson<BackupSnapshotInfo>(['backup', 'create', app]);
    expect(snapshot.apps).toEqual([{ id: app, version: '1.0.0' }]);
    const list = await daemon.cliJson<BackupSnapshotInfo[]>(['backup', 'list']);
    expect(list.map((entry) => entry.id)).toEqual([snapshot.id]);
    expect((await daemon.cliJson<AppStatus>(['status', app])).state).toBe('running');
  }, 300_000);
});
