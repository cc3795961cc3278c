import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBounded } from './netns-probe.js';
import { runProbe, type ProbeTarget } from './probe.js';

/** A loopback port that was free a moment ago and that nothing listens on now. */
async function portNothingListensOn(): Promise<number> {
  const spare = createServer();
  await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
  const { port } = spare.address() as AddressInfo;
  await new Promise((resolve) => spare.close(resolve));
  return port;
}

const run = promisify(execFile);

/**
 * A ProbeTarget whose `exec` runs the command on this machine instead of in a container: the
 * probe's reading of exit codes and output is what is under test here (the container side is
 * covered by the daemon's integration tests).
 */
const localTarget: ProbeTarget = {
  hostPortFor: () => undefined,
  async exec(command, timeoutMs) {
    try {
      const { stdout, stderr } = await run(command[0]!, command.slice(1), { timeout: timeoutMs });
      return { exitCode: 0, output: stdout + stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { exitCode: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  },
};

describe('runProbe: exec', () => {
  it('is healthy on exit 0 and says the exit code and last line otherwise', async () => {
    const ok = await runProbe(
      { exec: { command: ['/bin/sh', '-c', 'echo fine'] }, timeout: 5000 },
      localTarget,
    );
    expect(ok).toMatchObject({ ok: true, detail: 'exec exited 0: fine' });
    const sick = await runProbe(
      { exec: { command: ['/bin/sh', '-c', 'echo one; echo broken >&2; exit 3'] }, timeout: 5000 },
      localTarget,
    );
    expect(sick).toMatchObject({ ok: false, detail: 'exec exited 3: broken' });
  });

  it('says it stopped a command that ran past the timeout', async () => {
    const target: ProbeTarget = {
      hostPortFor: () => undefined,
      exec: async () => ({ exitCode: -1, output: '', timedOut: true }),
    };
    expect(await runProbe({ exec: { command: ['sleep', '60'] }, timeout: 250 }, target)).toMatchObject({
      ok: false,
      detail: 'exec did not finish within 250 ms and was stopped',
    });
  });
});

/**
 * A stand-in for bitcoind's JSON-RPC server on 127.0.0.1 (HTTP POST, Basic auth, JSON-RPC 1.0
 * replies, errors with HTTP 500 as bitcoind sends them): what the probe does with each answer is
 * under test; the real protocol against the bitcoind test double is in the daemon's tests.
 */
describe('runProbe: bitcoin', () => {
  const credentials = { user: 'archipelago', password: 'correct-horse-battery' };
  const INFO = {
    chain: 'regtest',
    blocks: 3,
    headers: 5,
    verificationprogress: 0.5,
    initialblockdownload: true,
    pruned: false,
  };
  let reply: { status: number; body: string } = { status: 200, body: '' };
  const seen: { authorization?: string; body: string }[] = [];
  let server: Server;
  let port: number;
  let closedPort: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ ...(req.headers.authorization && { authorization: req.headers.authorization }), body });
        const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
        res.shouldKeepAlive = false;
        if (req.headers.authorization !== expected) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="jsonrpc"' }).end();
          return;
        }
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    closedPort = await portNothingListensOn();
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const answering = (result: unknown, error: unknown = null, status = 200) => {
    reply = { status, body: JSON.stringify({ result, error, id: 'archy-health' }) };
  };
  /** The node's RPC port published on the host as `published`, or (undefined) not published. */
  const node = (published: number | undefined, creds = credentials): ProbeTarget => ({
    hostPortFor: () => published,
    exec: () => Promise.reject(new Error('not used')),
    inNetns: (argv, timeoutMs, options) => runBounded(argv[0]!, argv.slice(1), timeoutMs, options),
    bitcoinRpcCredentials: async () => creds,
  });

  it('is healthy when the node answers getblockchaininfo on its published port, and carries its sync', async () => {
    answering(INFO);
    seen.length = 0;
    const result = await runProbe({ bitcoinRpc: { port: 18443 }, timeout: 5000 }, node(port));
    expect(result).toMatchObject({
      ok: true,
      detail: 'regtest: synced 50.0 %, block 3 of 5 (initial block download)',
      sync: {
        chain: 'regtest',
        blocks: 3,
        headers: 5,
        verificationProgress: 0.5,
        initialBlockDownload: true,
        pruned: false,
      },
    });
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ method: 'getblockchaininfo', params: [] });
  });

  it('asks inside the app’s network, the request on nc’s stdin and never on a command line', async () => {
    answering(INFO);
    const argvs: string[][] = [];
    const target = node(undefined);
    const inside = target.inNetns!;
    target.inNetns = (argv, timeoutMs, options) => {
      argvs.push(argv);
      return inside(argv, timeoutMs, options);
    };
    const result = await runProbe({ bitcoinRpc: { port }, timeout: 5000 }, target);
    expect(result).toMatchObject({ ok: true, sync: { blocks: 3, headers: 5 } });
    expect(argvs).toHaveLength(1);
    const base64 = Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64');
    expect(argvs[0]!.join(' ')).not.toContain(credentials.password);
    expect(argvs[0]!.join(' ')).not.toContain(base64);
  });

  it('falls back to inside the app’s network when the published port refuses the connection', async () => {
    answering(INFO);
    // The node listens on `port` "inside"; what the host publishes goes nowhere.
    const result = await runProbe({ bitcoinRpc: { port }, timeout: 5000 }, node(closedPort));
    expect(result).toMatchObject({ ok: true, sync: { chain: 'regtest' } });
  });

  it('is not healthy yet while the node warms up (-28), and says so', async () => {
    answering(null, { code: -28, message: 'Loading block index…' }, 500);
    for (const published of [port, undefined]) {
      const result = await runProbe({ bitcoinRpc: { port }, timeout: 5000 }, node(published));
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(/^bitcoin RPC is warming up \(error -28\): Loading block index…/);
      expect(result.sync).toBeUndefined();
    }
  });

  it('says clearly when the node refuses the credentials', async () => {
    answering(INFO);
    const wrong = { ...credentials, password: 'not-the-password' };
    const result = await runProbe({ bitcoinRpc: { port }, timeout: 5000 }, node(port, wrong));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^bitcoin RPC refused the node's credentials \(HTTP 401\)/);
  });

  it('says when the daemon holds no credentials for the node', async () => {
    const target: ProbeTarget = { ...node(port), bitcoinRpcCredentials: async () => undefined };
    const result = await runProbe({ bitcoinRpc: { port }, timeout: 5000 }, target);
    expect(result).toMatchObject({ ok: false });
    expect(result.detail).toMatch(/^no RPC credentials for this node/);
  });

  it('fails when something other than bitcoind answers, or the node is not listening', async () => {
    reply = { status: 200, body: 'hello' };
    expect(await runProbe({ bitcoinRpc: { port }, timeout: 5000 }, node(port))).toMatchObject({
      ok: false,
      detail: 'bitcoin RPC answered something other than getblockchaininfo (HTTP 200): hello',
    });
    const down = await runProbe({ bitcoinRpc: { port: closedPort }, timeout: 5000 }, node(undefined));
    expect(down).toMatchObject({ ok: false, detail: 'connection refused' });
  });
});

/**
 * A ProbeTarget whose namespace runs are made on this machine's own network: the probe's use of
 * the host's busybox (wget's headers, nc's exit) is under test; entering a container's namespace
 * is covered by the daemon's integration tests.
 */
const hostNetns = (publishedAs?: number): ProbeTarget => ({
  hostPortFor: () => publishedAs,
  exec: () => Promise.reject(new Error('not used')),
  inNetns: (argv, timeoutMs) => runBounded(argv[0]!, argv.slice(1), timeoutMs),
});

describe('runProbe: ports the app does not publish', () => {
  let server: Server;
  let port: number;
  let closedPort: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 200 : 503;
      res.end('body');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    closedPort = await portNothingListensOn();
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('reads the HTTP status busybox wget saw', async () => {
    const ok = await runProbe({ http: { port, path: '/ok' }, timeout: 5000 }, hostNetns());
    expect(ok).toMatchObject({ ok: true, detail: `HTTP 200 from :${port}/ok (inside the app's network)` });
    const sick = await runProbe({ http: { port, path: '/sick' }, timeout: 5000 }, hostNetns());
    expect(sick).toMatchObject({
      ok: false,
      detail: `HTTP 503 from :${port}/sick (inside the app's network)`,
    });
    const expected = await runProbe(
      { http: { port, path: '/sick', status: 503 }, timeout: 5000 },
      hostNetns(),
    );
    expect(expected.ok).toBe(true);
  });

  it('connects with busybox nc for a TCP probe', async () => {
    expect(await runProbe({ tcp: { port }, timeout: 5000 }, hostNetns())).toMatchObject({
      ok: true,
      detail: `TCP connect to :${port} succeeded (inside the app's network)`,
    });
  });

  it('says connection refused for a port nothing listens on', async () => {
    for (const spec of [{ http: { port: closedPort, path: '/' } }, { tcp: { port: closedPort } }]) {
      expect(await runProbe({ ...spec, timeout: 5000 }, hostNetns())).toMatchObject({
        ok: false,
        detail: 'connection refused',
      });
    }
  });

  it('prefers the published port when there is one', async () => {
    const result = await runProbe({ http: { port: 8080, path: '/ok' }, timeout: 5000 }, hostNetns(port));
    expect(result).toMatchObject({ ok: true, detail: 'HTTP 200 from :8080/ok' });
  });

  it('tells how to fix it when the host cannot probe inside', async () => {
    const target: ProbeTarget = {
      hostPortFor: () => undefined,
      exec: () => Promise.reject(new Error('not used')),
    };
    expect((await runProbe({ tcp: { port: 8332 }, timeout: 1000 }, target)).detail).toBe(
      "container port 8332 is not published and this host cannot probe inside the app's network; publish it in the manifest's ports",
    );
  });
});
