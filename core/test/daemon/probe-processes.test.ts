// Health probes that leave nothing behind. Each `podman exec` session of the libpod API keeps a
// conmon pair alive for five minutes on Podman 4.3 (`--exit-delay 300`), so the bitcoin probe asks
// the node over JSON-RPC from the daemon and an `exec:` probe enters the container's namespaces
// itself. Runs the bitcoind TEST DOUBLE (Bitcoin Core itself can't run here) under app ids of its
// own, so it never meets the version tests' bitcoin-core / bitcoin-knots.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppHealth, ProbeResult } from '../../src/api/contract.js';
import { SecretStore } from '../../src/security/secrets/index.js';
import { descendantsOf, processTable, type ProcessEntry } from '../../src/util/process-table.js';
import {
  freePort,
  startTestPodman,
  tempDataDir,
  uniqueAppId,
  waitFor,
  type TestPodman,
} from '../support/index.js';
import { bitcoindDoubleImage } from '../support/bitcoind-double-images.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';

/** Probes each check must have run before the count: enough that 1 s apart they'd pile up. */
const PROBES = 8;

type Proc = ProcessEntry;

const isConmonOf = (containerId: string) => (proc: Proc) =>
  (proc.args[0] ?? '').endsWith('conmon') && proc.args.includes(containerId);

/**
 * What stays: processes seen in two looks 1.5 s apart. A probe's own processes live for
 * milliseconds and cannot be in both; a lingering exec session's conmon (five minutes) is.
 */
async function lasting(pick: (table: Proc[]) => Proc[]): Promise<Proc[]> {
  const first = pick(processTable());
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const second = new Set(pick(processTable()).map((proc) => `${proc.pid} ${proc.args.join(' ')}`));
  return first.filter((proc) => second.has(`${proc.pid} ${proc.args.join(' ')}`));
}

describe('health probes leave no process behind', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('probe-processes');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const health = (id: string) => daemon.cliJson<AppHealth>(['health', id]);
  const containerId = async (id: string) =>
    (await podman(['inspect', '--format', '{{.Id}}', `archy-${id}`])).trim();

  /** A Bitcoin node (the double, regtest); its RPC port published on loopback when `rpcHostPort` is given. */
  const writeNode = (
    id: string,
    options: { rpcHostPort?: number; env?: Record<string, string>; health?: object } = {},
  ): string => {
    const published = options.rpcHostPort !== undefined;
    const manifest = {
      id,
      name: 'Probe processes node',
      version: '31.0',
      image: bitcoindDoubleImage('core', '31.0'),
      command: [
        'bitcoind',
        '-datadir=/data',
        '-printtoconsole=1',
        '-server=1',
        '-regtest',
        // Reached through Podman's port forwarder, which connects from the container's address.
        ...(published ? ['-rpcbind=0.0.0.0', '-rpcallowip=10.0.0.0/8'] : []),
      ],
      ...(published && { ports: [{ container: 18443, host: options.rpcHostPort, expose: 'local' }] }),
      ...(options.env && { env: options.env }),
      volumes: [{ mount: '/data', name: 'bitcoin' }],
      resources: { memory: '128M' },
      security: { user: '1000:1000', tmpfs: ['/tmp'] },
      health: options.health ?? {
        bitcoin: {},
        interval: '1s',
        timeout: '5s',
        startPeriod: '10s',
        retries: 2,
      },
      stopTimeout: '10s',
      bitcoin: { implementation: 'core', network: 'regtest', datadir: '/data' },
    };
    const file = join(dir, `${id}.yml`);
    writeFileSync(file, stringify(manifest));
    return file;
  };

  /** Waits until `count` more probes ran after `since`; returns them, newest first. */
  const probesAfter = async (id: string, since: string, count: number): Promise<ProbeResult[]> =>
    waitFor(
      async () => {
        const newer = (await health(id)).probes.filter((probe) => probe.at > since);
        return newer.length >= count ? newer : undefined;
      },
      { what: `${count} probes of ${id}`, timeoutMs: count * 1000 + 20_000 },
    );

  /**
   * Probes the app PROBES times and checks nothing stayed: no more conmon for its container than
   * the one that runs it, and no process under the daemon that was not there before.
   */
  const expectNothingLeftAfterProbes = async (id: string): Promise<ProbeResult[]> => {
    const ctr = await containerId(id);
    const daemonPid = daemon.process.pid!;
    const before = await lasting((table) => descendantsOf(daemonPid, table));
    const since = new Date().toISOString();
    const probes = await probesAfter(id, since, PROBES);
    // The container's own conmon, and no exec session's.
    const conmon = await lasting((table) => table.filter(isConmonOf(ctr)));
    expect(conmon.map((proc) => proc.args.includes('--exec-process-spec'))).toEqual([false]);
    const known = new Set(before.map((proc) => proc.pid));
    const added = (await lasting((table) => descendantsOf(daemonPid, table))).filter(
      (proc) => !known.has(proc.pid),
    );
    expect(added.map((proc) => proc.args.join(' '))).toEqual([]);
    return probes;
  };

  it('a healthy Bitcoin node, asked over its published RPC port, keeps its sync report and leaves nothing', async () => {
    const id = uniqueAppId('rpcpub');
    await daemon.cliJson(['install', writeNode(id, { rpcHostPort: await freePort() })]);
    try {
      const healthy = await waitFor(
        async () => {
          const now = await health(id);
          return now.status === 'healthy' && now.sync ? now : undefined;
        },
        { what: `${id} healthy with a sync report`, timeoutMs: 30_000 },
      );
      expect(healthy.sync).toMatchObject({
        chain: 'regtest',
        blocks: 0,
        headers: 0,
        initialBlockDownload: true,
        pruned: false,
      });
      const probes = await expectNothingLeftAfterProbes(id);
      expect(probes.every((probe) => probe.ok && /^regtest: synced 100 %, block 0/.test(probe.detail))).toBe(
        true,
      );
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  });

  it('a node whose RPC port is not published is asked inside its network, and nothing stays', async () => {
    const id = uniqueAppId('rpcin');
    await daemon.cliJson(['install', writeNode(id)]);
    try {
      await waitFor(async () => (await health(id)).status === 'healthy', {
        what: `${id} healthy`,
        timeoutMs: 30_000,
      });
      expect((await podman(['port', `archy-${id}`])).trim()).toBe('');
      const probes = await expectNothingLeftAfterProbes(id);
      expect(probes.every((probe) => probe.ok && probe.detail.startsWith('regtest: synced'))).toBe(true);
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  });

  it('is not healthy while the node warms up (-28), and says so', async () => {
    const id = uniqueAppId('rpcwarm');
    // The double answers -28 "Loading block index…" for its first 4 s, as bitcoind does while it loads.
    await daemon.cliJson([
      'install',
      writeNode(id, { rpcHostPort: await freePort(), env: { BITCOIND_DOUBLE_WARMUP_MS: '4000' } }),
    ]);
    try {
      const { probes, status } = await health(id);
      expect(status).toBe('healthy');
      // Newest first: the healthy answer came only after the warm-up ones.
      const warming = probes.filter((probe) => probe.detail.includes('warming up'));
      expect(warming.length).toBeGreaterThan(0);
      for (const probe of warming) {
        expect(probe).toMatchObject({
          ok: false,
          detail: 'bitcoin RPC is warming up (error -28): Loading block index…',
        });
        expect(probe.sync).toBeUndefined();
      }
      expect(probes.at(-1)?.ok).toBe(false);
      expect(probes[0]?.ok).toBe(true);
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  });

  it('says clearly when the node refuses the credentials', async () => {
    const id = uniqueAppId('rpcauth');
    await daemon.cliJson(['install', writeNode(id, { rpcHostPort: await freePort() })]);
    try {
      // The node keeps the rpcauth it started with; the store now holds another password.
      await new SecretStore(dir).set(id, 'rpc-password', 'not-the-password-the-node-has');
      const refused = await waitFor(
        async () => (await health(id)).probes.find((probe) => probe.detail.includes('HTTP 401')),
        { what: `a probe of ${id} refused by the node`, timeoutMs: 20_000 },
      );
      expect(refused.ok).toBe(false);
      expect(refused.detail).toMatch(
        /^bitcoin RPC refused the node's credentials \(HTTP 401\): it runs with an rpcauth that does not match/,
      );
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  });

  it("runs an exec probe in the app as the app's user, without privileges, and leaves nothing", async () => {
    const id = uniqueAppId('execprobe');
    // Read with the shell's own builtins: the double's image has no grep.
    const show =
      'while read k v r; do case $k in Uid:|CapEff:|NoNewPrivs:) printf "%s%s " "$k" "$v";; esac; done < /proc/self/status; echo';
    await daemon.cliJson([
      'install',
      writeNode(id, {
        health: {
          exec: { command: ['/bin/sh', '-c', show] },
          interval: '1s',
          timeout: '5s',
          startPeriod: '10s',
        },
      }),
    ]);
    try {
      const probes = await expectNothingLeftAfterProbes(id);
      for (const probe of probes) {
        expect(probe).toMatchObject({
          ok: true,
          detail: 'exec exited 0: Uid:1000 CapEff:0000000000000000 NoNewPrivs:1',
        });
      }
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  });

  it('stops an exec probe that runs past its timeout, with what it started', async () => {
    const id = uniqueAppId('exectimeout');
    const marks = ['4242', '4243'];
    // Quick until the test drops /tmp/slow; then it outlives its timeout, with a child beside it.
    const check = `[ -e /tmp/slow ] || exit 0; sleep ${marks[0]} & sleep ${marks[1]}`;
    await daemon.cliJson([
      'install',
      writeNode(id, {
        health: {
          exec: { command: ['/bin/sh', '-c', check] },
          interval: '1s',
          timeout: '1s',
          startPeriod: '10s',
          // Not restarted while the test looks: a restart would end the sleeps by itself.
          retries: 100,
        },
      }),
    ]);
    try {
      await podman(['exec', `archy-${id}`, '/bin/sh', '-c', ': > /tmp/slow']);
      const since = new Date().toISOString();
      const probes = await probesAfter(id, since, 3);
      for (const probe of probes) {
        expect(probe).toMatchObject({
          ok: false,
          detail: 'exec did not finish within 1000 ms and was stopped',
        });
      }
      const sleeping = await lasting((table) =>
        table.filter((proc) => proc.args[0] === 'sleep' && marks.includes(proc.args[1] ?? '')),
      );
      expect(sleeping).toEqual([]);
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  });

  describe('the count itself', () => {
    let pm: TestPodman;
    beforeAll(async () => {
      pm = await startTestPodman();
    });
    afterAll(async () => {
      await pm?.stop();
    });

    it('sees the conmon a libpod exec session (the old probe) leaves behind', async () => {
      const id = uniqueAppId('oldexec');
      await daemon.cliJson(['install', writeNode(id)]);
      const ctr = await containerId(id);
      const before = processTable().filter(isConmonOf(ctr));
      let lingering: Proc[] = [];
      try {
        const exec = await pm.client.execContainer(
          `archy-${id}`,
          ['bitcoin-cli', '-regtest', '-datadir=/data', 'getblockchaininfo'],
          { timeoutMs: 10_000 },
        );
        expect(exec.exitCode).toBe(0);
        const known = new Set(before.map((proc) => proc.pid));
        lingering = (await lasting((table) => table.filter(isConmonOf(ctr)))).filter(
          (proc) => !known.has(proc.pid),
        );
        expect(lingering.length).toBeGreaterThan(0);
      } finally {
        // Ours: this test made the session. Ended by pid, not left for five minutes.
        for (const proc of lingering) {
          try {
            process.kill(proc.pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
        await daemon.cli(['remove', id, '--purge', '--yes']);
      }
    });
  });
});
