import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../api/contract.js';
import { RpcClient } from './rpc-client.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A daemon stand-in on loopback answering each request with the next of `answers`. */
async function serve(
  answers: Array<{ status: number; body: object }>,
): Promise<{ url: string; seen: () => number }> {
  let seen = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = answers[Math.min(seen, answers.length - 1)]!;
      seen += 1;
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen: () => seen };
}

const client = (url: string) => new RpcClient({ url, token: 't', cookieFile: '/x/.cookie', dataDir: '/x' });
const starting = {
  status: 503,
  body: { jsonrpc: '2.0', id: null, error: { code: RpcErrorCode.Busy, message: 'the daemon is starting' } },
};

describe('RpcClient', () => {
  it('waits for a daemon that is still starting, then answers', async () => {
    const daemon = await serve([
      starting,
      starting,
      { status: 200, body: { jsonrpc: '2.0', id: 1, result: [] } },
    ]);
    await expect(client(daemon.url).call('container-list', {})).resolves.toEqual([]);
    expect(daemon.seen()).toBe(3);
  });

  it('does not ask again for any other error', async () => {
    const daemon = await serve([
      {
        status: 409,
        body: { jsonrpc: '2.0', id: 1, error: { code: RpcErrorCode.Busy, message: 'app x is busy' } },
      },
    ]);
    await expect(client(daemon.url).call('container-list', {})).rejects.toThrow('app x is busy');
    expect(daemon.seen()).toBe(1);
  });
});
