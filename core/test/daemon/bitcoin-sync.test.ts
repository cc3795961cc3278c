// The bitcoin probe: a Bitcoin node is healthy once it answers getblockchaininfo over RPC, and
// `container-health` reports the sync progress from that answer. Runs the bitcoind TEST DOUBLE
// (Bitcoin Core itself can't run here) under an app id of its own, so it never meets the
// version tests' bitcoin-core / bitcoin-knots.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppHealth } from '../../src/api/contract.js';
import { tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { bitcoindDoubleImage } from '../support/bitcoind-double-images.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';

describe('the bitcoin probe reports sync progress', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('bitcoin-sync');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('is healthy once RPC answers, and follows the chain as blocks arrive', async () => {
    const id = uniqueAppId('btcsync');
    const file = join(dir, `${id}.yml`);
    writeFileSync(
      file,
      [
        `id: ${id}`,
        'name: Sync probe node',
        'version: "31.0"',
        `image: ${bitcoindDoubleImage('core', '31.0')}`,
        'command: ["bitcoind", "-datadir=/data", "-printtoconsole=1", "-server=1", "-regtest"]',
        'volumes: [{ mount: /data, name: bitcoin }]',
        'resources: { memory: 128M }',
        'security: { user: "1000:1000", tmpfs: [/tmp] }',
        'health: { bitcoin: {}, interval: 1s, timeout: 5s, startPeriod: 10s, retries: 2 }',
        'stopTimeout: 10s',
        'bitcoin: { implementation: core, network: regtest, datadir: /data }',
        '',
      ].join('\n'),
    );
    await daemon.cliJson(['install', file]);
    try {
      const first = await waitFor(
        async () => {
          const health = await daemon.cliJson<AppHealth>(['health', id]);
          return health.status === 'healthy' && health.sync ? health : undefined;
        },
        { what: `${id} healthy with a sync report`, timeoutMs: 30_000 },
      );
      expect(first.sync).toMatchObject({ chain: 'regtest', blocks: 0, pruned: false });
      expect(first.probes[0]?.detail).toMatch(/^regtest: synced [\d.]+ %, block 0/);

      await podman([
        'exec',
        `archy-${id}`,
        'bitcoin-cli',
        '-regtest',
        '-datadir=/data',
        'generatetoaddress',
        '7',
        'bcrt1qtest',
      ]);
      const later = await waitFor(
        async () => {
          const health = await daemon.cliJson<AppHealth>(['health', id]);
          return health.sync?.blocks === 7 ? health : undefined;
        },
        { what: `${id}'s sync report to reach block 7`, timeoutMs: 20_000 },
      );
      expect(later.sync).toMatchObject({
        chain: 'regtest',
        blocks: 7,
        headers: 7,
        initialBlockDownload: false,
      });
      expect(Date.parse(later.sync!.at)).toBeGreaterThan(Date.parse(first.sync!.at));

      const human = await daemon.cli(['health', id]);
      expect(human.stdout).toMatch(/^sync:\s+regtest: synced 100 %, block 7 \(as of /m);
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  });
});
