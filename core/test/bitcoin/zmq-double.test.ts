// The doubles other tests build on, in real rootless containers: the bitcoind double's ZMQ
// notifiers and -rpcwhitelist, the dependent double (a Bitcoin/Lightning node's user) and the
// lightning double (an LND-shaped provider). Images come from the test global setup.

import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rpcauth } from '../../src/security/secrets/rpcauth.js';
import { bitcoindDoubleImage, compileBitcoindDouble } from '../support/bitcoind-double-images.js';
import {
  dependentDoubleImage,
  DEPENDENT_DOUBLE_PORT,
  freePort,
  httpGet,
  LIGHTNING_DOUBLE_REST_PORT,
  lightningDoubleImage,
  lightningDoubleMacaroonPath,
  tempDataDir,
  testRunId,
  TEST_RUN_LABEL,
  uniqueAppId,
  waitFor,
} from '../support/index.js';
import { podman } from '../support/podman-cli.js';

const NODE_IMAGE = bitcoindDoubleImage('core', '28.4');
const RPC_PORT = 18443;
const labels = (): string[] => ['--label', `${TEST_RUN_LABEL}=${testRunId()}`];

const containers: string[] = [];
const networks: string[] = [];
afterAll(async () => {
  if (containers.length) await podman(['rm', '--force', '--time', '0', ...containers]).catch(() => undefined);
  for (const network of networks) await podman(['network', 'rm', '--force', network]).catch(() => undefined);
});

async function run(args: string[]): Promise<string> {
  const id = (await podman(['run', '--detach', ...labels(), ...args])).trim();
  containers.push(id);
  return id;
}

const readAsContainerUser = async (path: string): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const child = spawn('podman', ['unshare', 'cat', path]);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`cannot read ${path}`)),
    );
  });

type Rpc = (
  auth: string,
  body: object,
) => Promise<{ status: number; text: string; json?: { result?: unknown; error?: unknown } }>;

function rpcAt(port: number): Rpc {
  return async (auth, body) => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    return { status: res.status, text, ...(text && { json: JSON.parse(text) as { result?: unknown } }) };
  };
}
const call = (method: string, params: unknown[] = []) => ({ jsonrpc: '1.0', id: 't', method, params });

/** Starts the double on regtest, RPC published on loopback; resolves once RPC answers. */
async function startNode(args: string[], publish: string[] = [], podmanArgs: string[] = []) {
  const datadir = tempDataDir('zmq-node');
  const port = await freePort();
  const container = await run([
    ...podmanArgs,
    '--publish',
    `127.0.0.1:${port}:${RPC_PORT}`,
    ...publish.flatMap((p) => ['--publish', p]),
    '--volume',
    `${datadir}:/data:U`,
    NODE_IMAGE,
    'bitcoind',
    '-datadir=/data',
    '-regtest',
    '-rpcbind=0.0.0.0',
    '-rpcallowip=10.0.0.0/8',
    ...args,
  ]);
  const rpc = rpcAt(port);
  await waitFor(async () => (await rpc('nobody:nothing', call('uptime'))).status === 401, {
    what: 'the bitcoind double to answer RPC',
    timeoutMs: 20_000,
    intervalMs: 200,
  });
  return { container, rpc, datadir };
}

/**
 * zmq-sub from the double's binary, on the host, once subscribed: `lines` resolves with its
 * lines (split at spaces) once `count` arrived.
 */
async function subscribe(url: string, topic: string, count: number) {
  const binary = await compileBitcoindDouble();
  const child = spawn(binary, [url, topic, String(count)], { argv0: 'zmq-sub' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string[][]>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`zmq-sub ${topic} got ${stdout || 'nothing'} (${stderr})`));
    }, 20_000);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(
        stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(' ')),
      );
    });
  });
  await waitFor(() => stderr.includes('zmq-sub: subscribed'), { what: `zmq-sub ${topic} to subscribe` });
  return { lines: done };
}

const dsha256 = (data: Buffer): Buffer =>
  createHash('sha256').update(createHash('sha256').update(data).digest()).digest();
const shown = (hash: Buffer): string => Buffer.from(hash).reverse().toString('hex');

describe("the bitcoind double's ZMQ notifiers", () => {
  it('publish hashblock, rawblock and sequence on generatetoaddress as bitcoind does, by topic prefix', async () => {
    const [blockPort, sequencePort] = [await freePort(), await freePort()];
    const auth = rpcauth('alice', 'pw');
    const node = await startNode(
      [
        `-rpcauth=${auth.line}`,
        '-zmqpubhashblock=tcp://0.0.0.0:28332',
        '-zmqpubrawblock=tcp://0.0.0.0:28332',
        '-zmqpubhashtx=tcp://0.0.0.0:28332',
        '-zmqpubsequence=tcp://0.0.0.0:28333',
      ],
      [`127.0.0.1:${blockPort}:28332`, `127.0.0.1:${sequencePort}:28333`],
    );
    const blocks = `tcp://127.0.0.1:${blockPort}`;
    const [hashblock, rawblock, hash, sequence] = await Promise.all([
      subscribe(blocks, 'hashblock', 2),
      subscribe(blocks, 'rawblock', 2),
      subscribe(blocks, 'hash', 4),
      subscribe(`tcp://127.0.0.1:${sequencePort}`, 'sequence', 2),
    ]);

    const mined = await node.rpc('alice:pw', call('generatetoaddress', [2, 'bcrt1qdouble']));
    expect(mined.status).toBe(200);
    const hashes = mined.json!.result as string[];
    expect(hashes).toHaveLength(2);

    // hashblock: the block hash as the RPC shows it; each notifier counts its own messages.
    expect(await hashblock.lines).toEqual([
      ['hashblock', hashes[0], '0'],
      ['hashblock', hashes[1], '1'],
    ]);
    // rawblock: a serialized block whose header hashes to that block hash, chained to the first.
    const raw = (await rawblock.lines).map(([topic, body, seq]) => {
      expect(topic).toBe('rawblock');
      return { block: Buffer.from(body!, 'hex'), seq };
    });
    expect(raw.map(({ block }) => shown(dsha256(block.subarray(0, 80))))).toEqual(hashes);
    expect(shown(raw[1]!.block.subarray(4, 36))).toBe(hashes[0]);
    expect(raw.map(({ seq }) => seq)).toEqual(['0', '1']);
    // The prefix "hash" gets hashtx (the coinbase, before its block) and hashblock, not rawblock.
    const byPrefix = await hash.lines;
    expect(byPrefix.map(([topic]) => topic)).toEqual(['hashtx', 'hashblock', 'hashtx', 'hashblock']);
    const coinbase = raw[0]!.block.subarray(81);
    expect(byPrefix[0]![1]).toBe(shown(dsha256(coinbase)));
    // sequence: the block hash and 'C' (connected).
    expect(await sequence.lines).toEqual([
      ['sequence', `${hashes[0]}43`, '0'],
      ['sequence', `${hashes[1]}43`, '1'],
    ]);
    const log = (await readAsContainerUser(join(node.datadir, 'regtest', 'debug.log'))).toString();
    expect(log).toContain('zmq: Notifier pubhashblock ready (address = tcp://0.0.0.0:28332)');
  });
});

describe("the bitcoind double's -rpcwhitelist", () => {
  const alice = rpcauth('alice', 'a');
  const bob = rpcauth('bob', 'b');

  it("refuses what a user's whitelist leaves out (403, no body), and users without one by default", async () => {
    const node = await startNode([
      `-rpcauth=${alice.line}`,
      `-rpcauth=${bob.line}`,
      // Two entries for one user: the intersection.
      '-rpcwhitelist=alice:getblockchaininfo,uptime,getnetworkinfo',
      '-rpcwhitelist=alice:getblockchaininfo, uptime',
    ]);
    expect((await node.rpc('alice:a', call('getblockchaininfo'))).status).toBe(200);
    expect((await node.rpc('alice:a', call('uptime'))).status).toBe(200);
    expect(await node.rpc('alice:a', call('getnetworkinfo'))).toEqual({ status: 403, text: '' });
    const batch = await node.rpc('alice:a', [call('uptime'), call('getnetworkinfo')]);
    expect(batch.status).toBe(403);
    // -rpcwhitelistdefault is on once any whitelist is given: bob may call nothing.
    expect(await node.rpc('bob:b', call('uptime'))).toEqual({ status: 403, text: '' });
    // A wrong password is still a 401, whitelist or not.
    expect((await node.rpc('alice:wrong', call('uptime'))).status).toBe(401);
    const log = (await readAsContainerUser(join(node.datadir, 'regtest', 'debug.log'))).toString();
    expect(log).toContain('RPC User alice not allowed to call method getnetworkinfo');
    expect(log).toContain('RPC User bob not allowed to call any methods');
  });

  it('lets users without a whitelist call everything with -rpcwhitelistdefault=0', async () => {
    const node = await startNode([
      `-rpcauth=${alice.line}`,
      `-rpcauth=${bob.line}`,
      '-rpcwhitelist=alice:getblockchaininfo',
      '-rpcwhitelistdefault=0',
    ]);
    expect((await node.rpc('bob:b', call('getnetworkinfo'))).status).toBe(200);
    expect((await node.rpc('alice:a', call('getnetworkinfo'))).status).toBe(403);
    expect((await node.rpc('alice:a', call('getblockchaininfo'))).status).toBe(200);
  });
});

describe('the dependent and lightning doubles', () => {
  it('a dependent logs in to the node with its credentials, follows its ZMQ blocks and reads the Lightning node', async () => {
    const network = uniqueAppId('doubles');
    await podman(['network', 'create', ...labels(), network]);
    networks.push(network);

    // The provider: the node, with one rpcauth user for the dependent (read-only whitelist) and an admin.
    const depPassword = 'dependent-password';
    const admin = rpcauth('admin', 'admin-pw');
    const node = await startNode(
      [
        `-rpcauth=${rpcauth('archy-dependent', depPassword).line}`,
        `-rpcauth=${admin.line}`,
        '-rpcwhitelist=archy-dependent:getblockchaininfo',
        '-rpcwhitelistdefault=0',
        '-zmqpubhashblock=tcp://0.0.0.0:28334',
      ],
      [],
      ['--network', network, '--network-alias', 'bitcoin-node'],
    );

    // The Lightning provider: it writes its certificate and macaroon into its volume at first start.
    const lnd = tempDataDir('lightning-double');
    const restPort = await freePort();
    await run([
      '--network',
      network,
      '--network-alias',
      'lightning-node',
      '--publish',
      `127.0.0.1:${restPort}:${LIGHTNING_DOUBLE_REST_PORT}`,
      '--volume',
      `${lnd}:/data:U`,
      lightningDoubleImage(),
    ]);
    const macaroonPath = join(lnd, lightningDoubleMacaroonPath());
    const macaroon = await waitFor(() => readAsContainerUser(macaroonPath).catch(() => undefined), {
      what: 'the lightning double to write its macaroon',
      timeoutMs: 20_000,
    });
    expect(macaroon).toHaveLength(32);
    const getinfo = async (headers: Record<string, string>) => {
      const res = await fetch(`http://127.0.0.1:${restPort}/v1/getinfo`, {
        headers,
        signal: AbortSignal.timeout(5000),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const withMacaroon = await waitFor(
      () => getinfo({ 'Grpc-Metadata-macaroon': macaroon.toString('hex') }),
      { what: 'the lightning double to answer REST', timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(withMacaroon).toMatchObject({ status: 200, body: { alias: 'lightning-double' } });
    expect(await getinfo({})).toMatchObject({ status: 401, body: { message: 'expected 1 macaroon, got 0' } });
    const wrong = Buffer.from(macaroon).fill(7).toString('hex');
    expect((await getinfo({ 'Grpc-Metadata-macaroon': wrong })).status).toBe(401);
    // tls.cert is a real self-signed certificate, and tls.key its key.
    const certPem = await readAsContainerUser(join(lnd, 'tls.cert'));
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toContain('CN=lightning-double');
    expect(cert.checkPrivateKey(createPrivateKey(await readAsContainerUser(join(lnd, 'tls.key'))))).toBe(
      true,
    );

    // The dependent: env and secret files, as a dependent gets them.
    const secrets = tempDataDir('dependent-secrets');
    writeFileSync(join(secrets, 'rpc-password'), depPassword, { mode: 0o644 });
    const statusPort = await freePort();
    await run([
      '--network',
      network,
      '--publish',
      `127.0.0.1:${statusPort}:${DEPENDENT_DOUBLE_PORT}`,
      '--volume',
      `${join(secrets, 'rpc-password')}:/run/secrets/bitcoin-node-rpc-password:ro`,
      '--volume',
      `${macaroonPath}:/run/secrets/lightning-node-macaroon:ro`,
      '--volume',
      `${join(lnd, 'tls.cert')}:/run/secrets/lightning-node-tls-cert:ro`,
      ...Object.entries({
        ARCHY_DEP_BITCOIN_NODE_HOST: 'bitcoin-node',
        ARCHY_DEP_BITCOIN_NODE_RPC_PORT: String(RPC_PORT),
        ARCHY_DEP_BITCOIN_NODE_CHAIN: 'regtest',
        ARCHY_DEP_BITCOIN_NODE_RPC_USER: 'archy-dependent',
        ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD_FILE: '/run/secrets/bitcoin-node-rpc-password',
        ARCHY_DEP_BITCOIN_NODE_ZMQ_HASHBLOCK: 'tcp://bitcoin-node:28334',
        ARCHY_DEP_LIGHTNING_NODE_HOST: 'lightning-node',
        ARCHY_DEP_LIGHTNING_NODE_REST_PORT: String(LIGHTNING_DOUBLE_REST_PORT),
        ARCHY_DEP_LIGHTNING_NODE_MACAROON_FILE: '/run/secrets/lightning-node-macaroon',
        ARCHY_DEP_LIGHTNING_NODE_TLS_CERT_FILE: '/run/secrets/lightning-node-tls-cert',
        DEPENDENT_DOUBLE_RPC_METHODS: 'getblockchaininfo getnetworkinfo',
      }).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
      dependentDoubleImage(),
    ]);
    const learned = (path: string) => httpGet(`http://127.0.0.1:${statusPort}${path}`).then((r) => r.body);
    const until = (path: string, test: (body: string) => boolean) =>
      waitFor(
        async () => {
          const body = await learned(path);
          if (!test(body)) throw new Error(`it says ${JSON.stringify(body)}`);
          return body;
        },
        { what: `the dependent double's ${path}`, timeoutMs: 30_000, intervalMs: 250 },
      );

    const chain = await until('/rpc/getblockchaininfo', (body) => body.startsWith('ok\n'));
    expect(JSON.parse(chain.slice(3))).toMatchObject({ chain: 'regtest' });
    // Its whitelist holds getblockchaininfo only.
    expect(await until('/rpc/getnetworkinfo', (body) => body.startsWith('failed\n'))).toContain(
      'HTTP error 403',
    );

    await until('/zmq-state', (body) => body.trim() === 'subscribed');
    const mined = await node.rpc('admin:admin-pw', call('generatetoaddress', [1, 'bcrt1qdouble']));
    const [tip] = mined.json!.result as string[];
    expect(await until('/zmq', (body) => body.includes(tip!))).toBe(`hashblock ${tip} 0\n`);

    const lightning = await until('/lightning', (body) => body.startsWith('ok\n'));
    expect(JSON.parse(lightning.slice(3))).toMatchObject({
      alias: 'lightning-double',
      synced_to_chain: true,
    });
    const tls = await until('/lightning-tls', (body) => body.includes('\n'));
    expect(tls).toBe(`-----BEGIN CERTIFICATE-----\n${createHash('sha256').update(certPem).digest('hex')}\n`);
    const env = await learned('/env');
    expect(env).toContain('ARCHY_DEP_BITCOIN_NODE_HOST=bitcoin-node');
    expect(env).not.toContain(depPassword);
    expect(await learned('/secrets')).toContain('/run/secrets/bitcoin-node-rpc-password 18');

    // The same login from a cookie-format file (`user:password`, as LND's bitcoind.rpccookie reads).
    writeFileSync(join(secrets, 'rpc-cookie'), `archy-dependent:${depPassword}\n`, { mode: 0o644 });
    const cookiePort = await freePort();
    await run([
      '--network',
      network,
      '--publish',
      `127.0.0.1:${cookiePort}:${DEPENDENT_DOUBLE_PORT}`,
      '--volume',
      `${join(secrets, 'rpc-cookie')}:/run/secrets/bitcoin-node-rpc-cookie:ro`,
      '--env',
      'ARCHY_DEP_BITCOIN_NODE_HOST=bitcoin-node',
      '--env',
      `ARCHY_DEP_BITCOIN_NODE_RPC_PORT=${RPC_PORT}`,
      '--env',
      'ARCHY_DEP_BITCOIN_NODE_RPC_COOKIE_FILE=/run/secrets/bitcoin-node-rpc-cookie',
      dependentDoubleImage(),
    ]);
    const viaCookie = await waitFor(
      async () => {
        const body = (await httpGet(`http://127.0.0.1:${cookiePort}/rpc/getblockchaininfo`)).body;
        return body.startsWith('ok\n') && body;
      },
      { what: 'the cookie-file dependent to log in', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(JSON.parse(viaCookie.slice(3))).toMatchObject({ chain: 'regtest', blocks: 1 });
  });
});
