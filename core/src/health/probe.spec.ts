import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBounded } from './netns-probe.js';
import { runProbe, type ProbeTarget } from './probe.js';

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

const answer = (json: object): string[] => ['/bin/sh', '-c', `printf '%s\\n' '${JSON.stringify(json)}'`];

describe('runProbe: bitcoin', () => {
  it('is healthy when the node answers getblockchaininfo, and carries its sync', async () => {
    const result = await runProbe(
      {
        bitcoinRpc: {
          command: answer({
            chain: 'regtest',
            blocks: 3,
            headers: 5,
            verificationprogress: 0.5,
            initialblockdownload: true,
            pruned: false,
          }),
        },
        timeout: 5000,
      },
      localTarget,
    );
    expect(result).toMatchObject({
      ok: true,
      detail: 'regtest: synced 50.0 %, block 3 of 5 (initial block download)',
      sync: {
        chain: 'regtest',
        blocks: 3,
        headers: 5,
        verificationProgress: 0.5,
        initialBlockDownload: true,
      },
    });
  });

  it('fails with bitcoin-cli’s own reason while RPC is not ready', async () => {
    const result = await runProbe(
      {
        bitcoinRpc: {
          command: ['/bin/sh', '-c', 'echo "error code: -28"; echo "Loading block index…" >&2; exit 28'],
        },
        timeout: 5000,
      },
      localTarget,
    );
    expect(result.ok).toBe(false);
    expect(result.detail).toBe('bitcoin RPC not answering (exit 28): Loading block index…');
    expect(result.sync).toBeUndefined();
  });

  it('fails when something other than bitcoind answers', async () => {
    const result = await runProbe(
      { bitcoinRpc: { command: ['/bin/echo', 'hello'] }, timeout: 5000 },
      localTarget,
    );
    expect(result).toMatchObject({
      ok: false,
      detail: 'bitcoin RPC answered something other than getblockchaininfo: hello',
    });
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
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    closedPort = (spare.address() as AddressInfo).port;
    await new Promise((resolve) => spare.close(resolve));
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
