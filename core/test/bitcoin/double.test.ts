// The bitcoind TEST DOUBLE (core/test/support/bitcoind-double/) behaves like bitcoind where the
// daemon depends on it: run in real rootless containers from the images global setup published.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION_CHANGE_RULES } from '../../src/bitcoin/index.js';
import { rpcauth } from '../../src/security/secrets/rpcauth.js';
import {
  bitcoindDoubleImage,
  bitcoindDoubleVersions,
  rulesHeader,
} from '../support/bitcoind-double-images.js';
import { freePort, tempDataDir, testRunId, TEST_RUN_LABEL, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';

const core = (version: string): string => bitcoindDoubleImage('core', version);
const knots = (version: string): string => bitcoindDoubleImage('knots', version);
const REGTEST_RPC_PORT = 18443;

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `podman <args>` and returns its exit status and output, whatever the status. */
function podmanExit(args: string[], timeoutMs = 60_000): Promise<Exit> {
  return new Promise((resolve) => {
    execFile('podman', args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A file in a datadir the container user owns (mode 0600, like bitcoind writes): read it as that user. */
function readAsContainerUser(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('podman', ['unshare', 'cat', path], { encoding: 'buffer' }, (error, stdout, stderr) =>
      error ? reject(new Error(`cannot read ${path}: ${stderr.toString()}`)) : resolve(stdout),
    );
  });
}
const readText = async (path: string): Promise<string> => (await readAsContainerUser(path)).toString('utf8');
const exists = async (path: string): Promise<boolean> =>
  (await podmanExit(['unshare', 'test', '-e', path])).code === 0;

const volume = (datadir: string): string[] => ['--volume', `${datadir}:/data:U`];
const labels = (): string[] => ['--label', `${TEST_RUN_LABEL}=${testRunId()}`];

/** bitcoind in the foreground until it exits: for starts the double refuses. */
function runToExit(image: string, datadir: string, args: string[]): Promise<Exit> {
  return podmanExit([
    'run',
    '--rm',
    ...labels(),
    '--network',
    'none',
    ...volume(datadir),
    image,
    'bitcoind',
    '-datadir=/data',
    ...args,
  ]);
}

interface RunningNode {
  container: string;
  port: number;
  rpc(
    method: string,
    auth: string,
    body?: object,
  ): Promise<{ status: number; json?: Record<string, unknown> }>;
}

const containers: string[] = [];
afterAll(async () => {
  if (containers.length) await podman(['rm', '--force', '--time', '0', ...containers]).catch(() => undefined);
});

/** Starts the double on regtest with its RPC port published on loopback; resolves once RPC answers. */
async function startNode(image: string, datadir: string, args: string[] = []): Promise<RunningNode> {
  const port = await freePort();
  const container = (
    await podman([
      'run',
      '--detach',
      ...labels(),
      '--publish',
      `127.0.0.1:${port}:${REGTEST_RPC_PORT}`,
      ...volume(datadir),
      image,
      'bitcoind',
      '-datadir=/data',
      '-regtest',
      '-rpcbind=0.0.0.0',
      '-rpcallowip=10.0.0.0/8',
      ...args,
    ])
  ).trim();
  containers.push(container);
  const rpc: RunningNode['rpc'] = async (method, auth, body) => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
      body: JSON.stringify(body ?? { jsonrpc: '1.0', id: 'test', method, params: [] }),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    return { status: res.status, ...(text && { json: JSON.parse(text) as Record<string, unknown> }) };
  };
  await waitFor(
    async () => {
      const state = (await podman(['inspect', '--format', '{{.State.Status}}', container])).trim();
      if (state !== 'running') {
        const logs = await podmanExit(['logs', container]);
        throw new Error(`the double stopped (${state}): ${logs.stdout}${logs.stderr}`);
      }
      return (await rpc('uptime', 'nobody:nothing')).status === 401;
    },
    { what: `${image} to answer RPC`, timeoutMs: 20_000, intervalMs: 200 },
  );
  return { container, port, rpc };
}

/** SIGTERM, as `podman stop` sends; returns the exit status. */
async function stopNode(node: RunningNode): Promise<number> {
  await podman(['stop', '--time', '20', node.container]);
  return Number((await podman(['inspect', '--format', '{{.State.ExitCode}}', node.container])).trim());
}

const banners = (log: string): string[] =>
  [...log.matchAll(/Bitcoin (?:Core|Knots) version (\S+)/g)].map((m) => m[1]!);

describe('the bitcoind test double images', () => {
  it('exist for every Core and Knots version in the catalog, and compile our downgrade rules table in', async () => {
    const versions = bitcoindDoubleVersions().map((entry) => entry.image);
    expect(versions).toEqual(
      expect.arrayContaining([
        core('27.2'),
        core('28.4'),
        core('29.3'),
        core('31.0'),
        knots('27.1.knots20240801'),
        knots('28.1.knots20250305'),
        knots('29.3.knots20260508'),
      ]),
    );
    for (const image of versions) {
      const version = (
        await podman([
          'image',
          'inspect',
          '--format',
          '{{index .Labels "org.opencontainers.image.version"}}',
          image,
        ])
      ).trim();
      expect(image.endsWith(`:${version}`)).toBe(true);
    }
    const header = rulesHeader();
    for (const rule of VERSION_CHANGE_RULES) expect(header).toContain(`{"${rule.id}", `);
  });
});

describe('a datadir created by Bitcoin Core 28.4 (random block-file key)', () => {
  const datadir = tempDataDir('double-28');
  const regtest = join(datadir, 'regtest');
  const password = 'correct horse battery staple';
  const auth = rpcauth('alice', password);

  it('gets a random non-zero blocks/xor.dat, the banner in regtest/debug.log, and answers RPC with rpcauth', async () => {
    const node = await startNode(core('28.4'), datadir, [`-rpcauth=${auth.line}`]);

    const key = await readAsContainerUser(join(regtest, 'blocks', 'xor.dat'));
    expect(key).toHaveLength(8);
    expect(key.equals(Buffer.alloc(8))).toBe(false);
    const log = await readText(join(regtest, 'debug.log'));
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ Bitcoin Core version v28\.4\.0$/m);
    expect(await exists(join(datadir, 'blocks'))).toBe(false);

    const chain = await node.rpc('getblockchaininfo', `alice:${password}`);
    expect(chain.status).toBe(200);
    expect(chain.json).toMatchObject({
      error: null,
      id: 'test',
      result: { chain: 'regtest', blocks: 0, headers: 0, pruned: false, initialblockdownload: true },
    });
    expect((chain.json!.result as { verificationprogress: number }).verificationprogress).toBeTypeOf(
      'number',
    );
    const network = await node.rpc('getnetworkinfo', `alice:${password}`);
    expect(network.json!.result).toMatchObject({ version: 280400, subversion: '/Satoshi:28.4.0/' });
    const uptime = await node.rpc('', `alice:${password}`, { jsonrpc: '2.0', id: 7, method: 'uptime' });
    expect(uptime).toMatchObject({ status: 200, json: { jsonrpc: '2.0', id: 7 } });
    expect(uptime.json!.result).toBeTypeOf('number');

    // Anything else is "Method not found"; JSON-RPC 2.0 answers it with HTTP 200, 1.0 with 404.
    const unknown = await node.rpc('', `alice:${password}`, {
      jsonrpc: '2.0',
      id: 8,
      method: 'getwalletinfo',
    });
    expect(unknown).toMatchObject({
      status: 200,
      json: { jsonrpc: '2.0', id: 8, error: { code: -32601, message: 'Method not found' } },
    });
    expect((await node.rpc('getwalletinfo', `alice:${password}`)).status).toBe(404);

    // Wrong password, unknown user, no credentials: 401 and no body.
    expect(await node.rpc('getblockchaininfo', 'alice:wrong')).toEqual({ status: 401 });
    expect(await node.rpc('getblockchaininfo', `bob:${password}`)).toEqual({ status: 401 });

    // Inside the container, bitcoin-cli finds the cookie bitcoind wrote.
    const cli = await podmanExit([
      'exec',
      node.container,
      'bitcoin-cli',
      '-datadir=/data',
      '-regtest',
      'getblockchaininfo',
    ]);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ chain: 'regtest', blocks: 0 });
    expect((await readText(join(regtest, '.cookie'))).startsWith('__cookie__:')).toBe(true);

    expect(await stopNode(node)).toBe(0);
    const after = await readText(join(regtest, 'debug.log'));
    expect(after.trimEnd().endsWith('Shutdown: done')).toBe(true);
    expect(await exists(join(regtest, '.cookie'))).toBe(false);
  });

  it('makes Bitcoin Core 27.2 exit 1 with "Corrupted block database detected", after writing its banner', async () => {
    const keyBefore = await readAsContainerUser(join(regtest, 'blocks', 'xor.dat'));
    const result = await runToExit(core('27.2'), datadir, ['-regtest']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      ': Corrupted block database detected.\nPlease restart with -reindex or -reindex-chainstate to recover.\n',
    );
    const log = await readText(join(regtest, 'debug.log'));
    expect(banners(log)).toEqual(['v28.4.0', 'v27.2.0']);
    expect(log).toMatch(/Verification error: ReadBlockFromDisk failed at \d+/);
    expect(log).toContain('Aborted block database rebuild. Exiting.');
    expect(await readAsContainerUser(join(regtest, 'blocks', 'xor.dat'))).toEqual(keyBefore);

    // -reindex-chainstate does not help either (rule xor-key-from-28), while 28.4 still runs here.
    expect((await runToExit(core('27.2'), datadir, ['-regtest', '-reindex-chainstate'])).code).toBe(1);
    const node = await startNode(core('28.4'), datadir);
    expect(await stopNode(node)).toBe(0);
  });

  it("loses the chain for good to Bitcoin Core 27.2's -reindex, as real builds did", async () => {
    const auth = `alice:${password}`;
    const mined = await startNode(core('28.4'), datadir, [`-rpcauth=${rpcauth('alice', password).line}`]);
    await mined.rpc('', auth, { jsonrpc: '2.0', id: 1, method: 'generatetoaddress', params: [5, 'bcrt1q'] });
    const height = async (node: RunningNode) =>
      ((await node.rpc('getblockchaininfo', auth)).json!.result as { blocks: number }).blocks;
    expect(await height(mined)).toBeGreaterThanOrEqual(5);
    expect(await stopNode(mined)).toBe(0);

    // The old version's -reindex does not refuse: it comes up, at height 0.
    const old = await startNode(core('27.2'), datadir, [
      '-reindex',
      `-rpcauth=${rpcauth('alice', password).line}`,
    ]);
    expect(await height(old)).toBe(0);
    expect(await stopNode(old)).toBe(0);
    expect(await readText(join(regtest, 'debug.log'))).toContain('Loaded 0 blocks from external file');

    // And nothing brings a block back: not even 28.4's own -reindex.
    const again = await startNode(core('28.4'), datadir, [
      '-reindex',
      `-rpcauth=${rpcauth('alice', password).line}`,
    ]);
    expect(await height(again)).toBe(0);
    expect(await stopNode(again)).toBe(0);
  });
});

describe('a datadir created before 28', () => {
  const datadir = tempDataDir('double-27');
  const xorPath = join(datadir, 'regtest', 'blocks', 'xor.dat');

  it('gets an all-zero key from 29.3, and then 27.2 runs on it again', async () => {
    const first = await startNode(core('27.2'), datadir);
    expect(await stopNode(first)).toBe(0);
    expect(await exists(join(datadir, 'regtest', 'blocks', 'blk00000.dat'))).toBe(true);
    expect(await exists(xorPath)).toBe(false);

    const upgraded = await startNode(core('29.3'), datadir);
    expect(await readAsContainerUser(xorPath)).toEqual(Buffer.alloc(8));
    expect(await stopNode(upgraded)).toBe(0);

    const back = await startNode(core('27.2'), datadir);
    const auth = (await readText(join(datadir, 'regtest', '.cookie'))).trim();
    expect((await back.rpc('getnetworkinfo', auth)).json!.result).toMatchObject({
      version: 270200,
      subversion: '/Satoshi:27.2.0/',
    });
    expect(await stopNode(back)).toBe(0);
    expect(banners(await readText(join(datadir, 'regtest', 'debug.log')))).toEqual([
      'v27.2.0',
      'v29.3.0',
      'v27.2.0',
    ]);
  });
});

describe('Bitcoin Knots', () => {
  it('writes its own banner and subversion', async () => {
    const datadir = tempDataDir('double-knots');
    const node = await startNode(knots('29.3.knots20260508'), datadir);
    const auth = (await readText(join(datadir, 'regtest', '.cookie'))).trim();
    expect((await node.rpc('getnetworkinfo', auth)).json!.result).toMatchObject({
      version: 290300,
      subversion: '/Satoshi:29.3.0/Knots:20260508/',
    });
    expect(await node.rpc('stop', auth)).toMatchObject({
      status: 200,
      json: { result: 'Bitcoin Knots stopping' },
    });
    await waitFor(
      async () =>
        (await podman(['inspect', '--format', '{{.State.Status}}', node.container])).trim() === 'exited',
      { what: 'Knots to stop after the stop RPC' },
    );
    const log = await readText(join(datadir, 'regtest', 'debug.log'));
    expect(banners(log)).toEqual(['v29.3.knots20260508']);
    expect(log).toContain('Shutdown: done');
  });
});

describe('a pruned node', () => {
  const datadir = tempDataDir('double-pruned');
  writeFileSync(join(datadir, 'bitcoin.conf'), 'regtest=1\n[regtest]\nprune=550\n');

  it('reports pruned from bitcoin.conf and refuses what bitcoind refuses on a pruned datadir', async () => {
    const node = await startNode(core('28.4'), datadir);
    const auth = (await readText(join(datadir, 'regtest', '.cookie'))).trim();
    expect((await node.rpc('getblockchaininfo', auth)).json!.result).toMatchObject({
      pruned: true,
      automatic_pruning: true,
      prune_target_size: 550 * 1024 * 1024,
    });
    expect(await stopNode(node)).toBe(0);

    const chainstate = await runToExit(core('28.4'), datadir, ['-reindex-chainstate']);
    expect(chainstate).toMatchObject({
      code: 1,
      stderr: 'Error: Prune mode is incompatible with -reindex-chainstate. Use full -reindex instead.\n',
    });
    const unprune = await runToExit(core('28.4'), datadir, ['-prune=0']);
    expect(unprune).toMatchObject({
      code: 1,
      stderr:
        'Error: You need to rebuild the database using -reindex to go back to unpruned mode.  ' +
        'This will redownload the entire blockchain\n',
    });
    // A confirmed full -reindex goes ahead, and it means downloading the whole chain again.
    const reindexed = await startNode(core('28.4'), datadir, ['-reindex']);
    expect(await stopNode(reindexed)).toBe(0);
    expect(await readText(join(datadir, 'regtest', 'debug.log'))).toContain(
      'the whole chain will be downloaded again',
    );
  });
});

describe('the manifest command line', () => {
  it('runs mainnet in the datadir itself, and bitcoin-cli reaches it for exec health probes', async () => {
    const datadir = tempDataDir('double-mainnet');
    const container = (
      await podman([
        'run',
        '--detach',
        ...labels(),
        '--network',
        'none',
        ...volume(datadir),
        core('31.0'),
        'bitcoind',
        '-datadir=/data',
        '-printtoconsole=1',
        '-server=1',
        '-rpcbind=0.0.0.0',
        '-rpcallowip=10.0.0.0/8',
      ])
    ).trim();
    containers.push(container);
    const info = await waitFor(
      async () => {
        const cli = await podmanExit([
          'exec',
          container,
          'bitcoin-cli',
          '-datadir=/data',
          'getblockchaininfo',
        ]);
        return cli.code === 0 && (JSON.parse(cli.stdout) as Record<string, unknown>);
      },
      { what: 'bitcoin-cli to reach the double', timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(info).toMatchObject({ chain: 'main', blocks: 0, pruned: false });
    expect(await exists(join(datadir, 'blocks', 'xor.dat'))).toBe(true);
    expect(await exists(join(datadir, 'debug.log'))).toBe(true);
    expect(await exists(join(datadir, '.archipelago-version.json'))).toBe(false);
    const logs = await podman(['logs', container]);
    expect(logs).toContain('Bitcoin Core version v31.0.0');
    await podman(['stop', '--time', '20', container]);
    expect((await podman(['inspect', '--format', '{{.State.ExitCode}}', container])).trim()).toBe('0');
  });
});
