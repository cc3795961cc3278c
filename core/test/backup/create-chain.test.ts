// A Bitcoin node's chain files (blocks/, chainstate/, indexes/) re-sync from the network, so a
// backup leaves them out unless `--include-chain` (issue 17); its wallets and settings are in it.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, BackupSnapshotInfo } from '../../src/api/contract.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { bitcoindDoubleImage, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startRestServer, type RestServer } from '../support/rest-server.js';
import { resticOk } from '../support/restic-cli.js';

describe('a Bitcoin-shaped app in a backup', () => {
  let daemon: TestDaemon;
  let server: RestServer;
  let dir: string;
  let key: string;
  const node = uniqueAppId('bkchain');

  beforeAll(async () => {
    dir = tempDataDir('backup-chain');
    server = await startRestServer();
    daemon = await startDaemon({ dataDir: dir, env: { ARCHY_TOR_DISABLE_NETWORK: '1' } });
    const file = join(dir, '..', `${node}.yml`);
    writeFileSync(
      file,
      [
        `id: ${node}`,
        'name: Backup chain node',
        'version: "31.0"',
        `image: ${bitcoindDoubleImage('core', '31.0')}`,
        'command: ["bitcoind", "-datadir=/data", "-printtoconsole=1", "-server=1", "-regtest"]',
        'volumes: [{ mount: /data, name: bitcoin }]',
        'resources: { memory: 128M }',
        'security: { user: "1000:1000", tmpfs: [/tmp] }',
        'stopTimeout: 10s',
        'bitcoin: { implementation: core, network: regtest, datadir: /data }',
        '',
      ].join('\n'),
    );
    await daemon.cliJson(['install', file]);
    // Chain files and a wallet where bitcoind keeps them on regtest.
    await podman([
      'unshare',
      'sh',
      '-c',
      'cd "$1" && mkdir -p regtest/blocks regtest/chainstate regtest/indexes/txindex regtest/wallets/w && ' +
        'echo blk > regtest/blocks/blk00099.dat && echo ldb > regtest/chainstate/000099.ldb && ' +
        'echo idx > regtest/indexes/txindex/000099.ldb && echo wallet > regtest/wallets/w/wallet.dat',
      'sh',
      join(dir, 'apps', node, 'bitcoin'),
    ]);
    key = (
      await daemon.cliJson<{ key: string }>([
        'backup',
        'init',
        '--to',
        server.repository('node'),
        '--confirm-key-saved',
      ])
    ).key;
  }, 180_000);
  afterAll(async () => {
    await daemon?.cli(['remove', node, '--purge', '--yes']).catch(() => undefined);
    await daemon?.stop();
    await server?.stop();
  });

  const listing = async (snapshot: BackupSnapshotInfo) =>
    (await resticOk(server.repository('node'), key, ['ls', snapshot.id])).toString().split('\n');
  const data = `/apps/${node}/bitcoin/regtest`;

  it('leaves blocks, chainstate and indexes out by default, keeps the wallet', async () => {
    const snapshot = await daemon.cliJson<BackupSnapshotInfo>(['backup', 'create', node]);
    expect(snapshot.includesChain).toBe(false);
    const files = await listing(snapshot);
    expect(files).toContain(`${data}/wallets/w/wallet.dat`);
    for (const folder of ['blocks', 'chainstate', 'indexes']) {
      expect(files.filter((path) => path.startsWith(`${data}/${folder}`))).toEqual([]);
    }
    await waitFor(async () => (await daemon.cliJson<AppStatus>(['status', node])).state === 'running', {
      what: 'the node to run again',
      timeoutMs: 30_000,
    });
  });

  it('includes them with --include-chain, and says so', async () => {
    const snapshot = await daemon.cliJson<BackupSnapshotInfo>(['backup', 'create', node, '--include-chain']);
    expect(snapshot.includesChain).toBe(true);
    const files = await listing(snapshot);
    expect(files).toContain(`${data}/blocks/blk00099.dat`);
    expect(files).toContain(`${data}/chainstate/000099.ldb`);
    expect(files).toContain(`${data}/indexes/txindex/000099.ldb`);
    expect((await daemon.cliJson<BackupSnapshotInfo[]>(['backup', 'list']))[0]).toMatchObject({
      id: snapshot.id,
      includesChain: true,
    });
  });
});
