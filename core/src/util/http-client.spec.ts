// The HTTP client against real servers on 127.0.0.1 (and a unix socket), some of them written on
// raw sockets to misbehave exactly: HTTP/1.0 bodies ended by closing the connection (what crashed
// undici, nodejs/undici#5360), stalls, resets, kept-alive connections closed under the client.

import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, HttpClientError, readLimited, redirectTarget, request } from './http-client.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: Server | ReturnType<typeof createHttpServer>, at?: string): Promise<string> {
  await new Promise<void>((resolve) =>
    at ? server.listen(at, resolve) : server.listen(0, '127.0.0.1', resolve),
  );
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  if (at) return 'http://local';
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** A server on raw sockets: `answer` gets each request's head and writes whatever it likes. */
async function rawServer(answer: (socket: Socket, head: string, index: number) => void): Promise<string> {
  let index = 0;
  const server = createNetServer((socket) => {
    let buffered = '';
    socket.on('error', () => undefined);
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      while (buffered.includes('\r\n\r\n')) {
        const end = buffered.indexOf('\r\n\r\n');
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        answer(socket, head, index++);
      }
    });
  });
  return listen(server);
}

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  return listen(createHttpServer(handler));
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const body = Buffer.alloc(512 * 1024);
for (let i = 0; i < body.length; i++) body[i] = (i * 7919) % 251;

/** HTTP/1.0, no Content-Length: the body ends when the server closes the connection. */
const closeDelimited = (socket: Socket): void => {
  socket.write('HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n');
  socket.end(body);
};

describe('request', () => {
  it('reads HTTP/1.0 bodies the server ends by closing, 50 times over, with fast and slow readers', async () => {
    const url = await rawServer(closeDelimited);
    for (let run = 0; run < 50; run++) {
      const response = await request(`${url}/f`);
      expect(response.statusCode).toBe(200);
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) {
        chunks.push(chunk as Buffer);
        // Every fifth run reads slowly, so the server's close arrives while the parser is paused:
        // the case undici asserted on and crashed.
        if (run % 5 === 0) await sleep(1);
      }
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(body));
    }
  });

  it('reads a chunked body, and a body with Content-Length, whole', async () => {
    const url = await httpServer((req, res) => {
      if (req.url === '/chunked') {
        res.writeHead(200); // no length: node sends it chunked
        res.write(body.subarray(0, 1000));
        setTimeout(() => res.end(body.subarray(1000)), 20);
      } else res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    const chunked = await request(`${url}/chunked`);
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(sha256((await readLimited(chunked.body, body.length, true))!)).toBe(sha256(body));
    const sized = await request(`${url}/sized`);
    expect(sha256((await readLimited(sized.body, body.length, true))!)).toBe(sha256(body));
  });

  it('sends a method, headers and a body, and reads text and JSON', async () => {
    const url = await httpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () =>
        res.writeHead(201, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            method: req.method,
            type: req.headers['content-type'],
            length: req.headers['content-length'],
            body: Buffer.concat(chunks).toString(),
          }),
        ),
      );
    });
    const response = await request(`${url}/x`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'héllo',
    });
    expect(response.statusCode).toBe(201);
    expect(await response.body.json()).toEqual({
      method: 'PUT',
      type: 'text/plain',
      length: '6',
      body: 'héllo',
    });
    const text = await request(`${url}/x`, { method: 'POST', body: Buffer.from('raw') });
    expect(await text.body.text()).toContain('"body":"raw"');
  });

  it('keeps a connection alive across requests in one agent', async () => {
    let connections = 0;
    const server = createHttpServer((_req, res) => res.writeHead(200).end('ok'));
    server.on('connection', () => connections++);
    const url = await listen(server);
    const agent = new Agent();
    cleanups.push(() => agent.close());
    for (let i = 0; i < 5; i++) expect(await (await request(url, { agent })).body.text()).toBe('ok');
    expect(connections).toBe(1);
  });

  it('sends a GET again when the server closed the kept-alive connection it was sent on', async () => {
    // The first request on a connection is answered (keep-alive); the second one on the same
    // connection is met with a close, as an idle-timed-out server would.
    const seen: number[] = [];
    const url = await rawServer((socket, _head, index) => {
      const perSocket = ((socket as Socket & { served?: number }).served ?? 0) + 1;
      (socket as Socket & { served?: number }).served = perSocket;
      seen.push(index);
      if (perSocket === 1)
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
      else socket.destroy();
    });
    const agent = new Agent();
    cleanups.push(() => agent.close());
    expect(await (await request(url, { agent })).body.text()).toBe('ok');
    expect(await (await request(url, { agent })).body.text()).toBe('ok');
    expect(seen).toEqual([0, 1, 2]); // the failed send, then the retry on a new connection
    // A POST is not sent twice.
    await expect(request(url, { agent, method: 'POST', body: 'x' })).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
  });

  it('speaks over a unix socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'archy-spec-http-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const socketPath = join(dir, 'api.sock');
    await listen(
      createHttpServer((req, res) => res.writeHead(200).end(`${req.headers.host} ${req.url}`)),
      socketPath,
    );
    const agent = new Agent({ socketPath });
    cleanups.push(() => agent.close());
    const response = await request('http://podman/v4.0.0/libpod/_ping?x=1', { agent });
    expect(await response.body.text()).toBe('podman /v4.0.0/libpod/_ping?x=1');
  });

  it('fails a refused connection with its code', async () => {
    const closed = createNetServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
    await expect(request(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('gives up waiting for headers after headersTimeout', async () => {
    const url = await rawServer(() => undefined);
    const error = await request(url, { headersTimeout: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpClientError);
    expect(error).toMatchObject({ code: 'HEADERS_TIMEOUT', message: 'no response headers within 100 ms' });
  });

  it('fails a body the server stops sending, after bodyTimeout of silence', async () => {
    let silentSince = 0;
    const url = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body.subarray(0, 1000)); // then nothing, connection open
      silentSince = Date.now();
    });
    const response = await request(url, { bodyTimeout: 150 });
    const error = await readLimited(response.body, body.length, true).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BODY_TIMEOUT', message: 'the server sent nothing for 150 ms' });
    // Timed from the server's last write, not from when this test resumed after the headers: under
    // load the test can resume well after the client's clock started, which ate into the slack.
    expect(Date.now() - silentSince).toBeGreaterThanOrEqual(140);
  });

  it('does not count its own slow reading as the server being silent', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 1);
    const url = await httpServer((_req, res) =>
      res.writeHead(200, { 'content-length': big.length }).end(big),
    );
    // The reader resumes right on the third silence check: under load that check used to run after
    // the reader had drained the buffer and before the socket's next read, and failed the body.
    const response = await request(url, { bodyTimeout: 100 });
    await sleep(300); // the socket fills and pauses; the server has sent all it could
    let total = 0;
    for await (const chunk of response.body) total += (chunk as Buffer).length;
    expect(total).toBe(big.length);
  });

  it('still fails a server that goes silent after the reader caught up with a backlog', async () => {
    // The grace a reader that was behind earns (one more period) must not hide real silence.
    const part = Buffer.alloc(4 * 1024 * 1024, 1);
    const url = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${part.length * 2}\r\n\r\n`);
      socket.write(part); // half the body, then nothing, connection open
    });
    const response = await request(url, { bodyTimeout: 100 });
    await sleep(300); // the reader is behind for a few checks
    const error = await readLimited(response.body, part.length * 2, true).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BODY_TIMEOUT', message: 'the server sent nothing for 100 ms' });
  });

  it('reports a reset and a close mid-body as errors of the body', async () => {
    let held: Socket | undefined;
    const url = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body.subarray(0, 1000));
      held = socket; // cut once the client has the headers (a reset drops what it hasn't read)
    });
    const reset = await request(`${url}/reset`);
    held!.resetAndDestroy();
    await expect(reset.body.text()).rejects.toMatchObject({ code: 'ECONNRESET' });
    const closed = await request(`${url}/close`);
    held!.end();
    await expect(closed.body.text()).rejects.toMatchObject({ code: 'ECONNRESET', message: 'aborted' });
  });

  it("ends with the caller's abort reason, before the headers and mid-body", async () => {
    const url = await rawServer((socket, head) => {
      if (head.includes('/silent')) return;
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body.subarray(0, 1000));
    });
    const before = new AbortController();
    setTimeout(() => before.abort(new Error('stop waiting')), 50);
    await expect(request(`${url}/silent`, { signal: before.signal })).rejects.toThrow('stop waiting');

    const during = new AbortController();
    const response = await request(`${url}/body`, { signal: during.signal });
    setTimeout(() => during.abort(), 50);
    await expect(response.body.text()).rejects.toMatchObject({ name: 'AbortError' });
    // An abort of a body nobody reads does not crash the process (the error has a listener).
    const unread = new AbortController();
    await request(`${url}/body`, { signal: unread.signal });
    unread.abort();
    await sleep(20);

    const aborted = AbortSignal.abort(new Error('already'));
    await expect(request(url, { signal: aborted })).rejects.toThrow('already');
  });

  it('reads at most a limit of a body', async () => {
    const url = await httpServer((_req, res) => res.writeHead(200).end(body));
    expect(await readLimited((await request(url)).body, 1000, true)).toBeUndefined();
    const quoted = await readLimited((await request(url)).body, 1000, false);
    expect(quoted!.length).toBeLessThanOrEqual(1000);
    expect(quoted).toEqual(body.subarray(0, quoted!.length));
  });

  it('dumps an unwanted body: a small one keeps the connection, a large one closes it', async () => {
    let connections = 0;
    const server = createHttpServer((req, res) =>
      res.writeHead(500).end(req.url === '/large' ? body : 'a short error'),
    );
    server.on('connection', () => connections++);
    const url = await listen(server);
    const agent = new Agent();
    for (let i = 0; i < 3; i++) await (await request(`${url}/small`, { agent })).body.dump();
    expect(connections).toBe(1);
    const large = await request(`${url}/large`, { agent });
    await large.body.dump();
    expect(large.body.destroyed).toBe(true);
    await (await request(`${url}/small`, { agent })).body.dump();
    expect(connections).toBe(2);
    await agent.close();
    await expect(request(url, { agent })).rejects.toMatchObject({ code: 'AGENT_CLOSED' });
  });

  describe('redirectTarget', () => {
    it('follows relative locations and refuses downgrades, loops, other schemes and too many hops', () => {
      const from = new URL('https://mirror.test/bin/a');
      expect(redirectTarget(from, '../b', [from.href])).toEqual({ next: new URL('https://mirror.test/b') });
      expect(redirectTarget(from, 'http://mirror.test/b', [from.href])).toEqual({
        refused: 'redirects from HTTPS to plain HTTP (http://mirror.test/b); refusing the downgrade',
      });
      expect(redirectTarget(new URL('http://mirror.test/a'), 'https://cdn.test/a', [])).toEqual({
        next: new URL('https://cdn.test/a'),
      });
      expect(redirectTarget(from, 'ftp://mirror.test/a', [])).toEqual({
        refused: 'redirects to ftp: (ftp://mirror.test/a), which is not HTTP',
      });
      const chain = [
        'http://a.test/1',
        'http://a.test/2',
        'http://a.test/3',
        'http://a.test/4',
        'http://a.test/5',
      ];
      expect(redirectTarget(new URL(chain[4]!), '/1', chain)).toEqual({
        refused: `redirects in a loop: ${chain.join(' → ')} → http://a.test/1`,
      });
      expect(redirectTarget(new URL('http://a.test/6'), '/7', [...chain, 'http://a.test/6'])).toEqual({
        refused: `redirects more than 5 times (${chain.join(' → ')} → http://a.test/6 → …)`,
      });
      expect(redirectTarget(new URL('http://a.test/5'), '/6', chain)).toEqual({
        next: new URL('http://a.test/6'),
      });
      expect(redirectTarget(from, undefined, [])).toEqual({ refused: 'redirects without a Location header' });
    });
  });
});
