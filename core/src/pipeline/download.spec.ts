// The release downloader against real servers on 127.0.0.1, built here to misbehave on purpose:
// HTTP/1.0 bodies ended by a close, chunked bodies, stalls, resets and early closes mid-body,
// servers that ignore ranges or answer them wrongly, redirects of every kind, HTTPS handing over
// to plain HTTP (a certificate made here with the openssl CLI).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../util/http-client.js';
import {
  DownloadInterrupted,
  DownloadRefused,
  downloadFile,
  partialPath,
  SourceUnavailable,
  type DownloadOptions,
  type DownloadProgress,
  type SourceAttempt,
} from './download.js';
import { downloadFromFirstSource } from './download-sources.js';
import { downloadAgreedFile } from './mirror-agreement.js';
import { refusedStep } from './pipeline-error.js';
import {
  closedPortUrl,
  sha256Hex,
  startFileServer,
  tempFolder,
  type FileServer,
} from './spec-release-fixture.js';

const cleanups: (() => unknown)[] = [];
let dir: string;
beforeEach(async () => {
  dir = await tempFolder('download');
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** A file's bytes: varied, so a misplaced range shows in the hash. */
function makeBody(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7919 + (i >> 10)) % 251;
  return bytes;
}
const body = makeBody(300_000);
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
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
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

interface Seen {
  path: string;
  range: string | undefined;
}

interface FileServing {
  file?: Buffer;
  /** Answer `Range: bytes=N-` with 206 (default), ignore it (200), or answer the wrong range. */
  ranges?: 'honour' | 'ignore' | 'wrong';
  /**
   * Request i stops at file offset breaks[i] (absent: it completes), the way `how` says. A reset
   * or close waits until the client has all it was sent on disk (`cutWhenReceived` as its
   * progress callback): a reset makes the kernel drop whatever the client had not read yet.
   */
  breaks?: (number | undefined)[];
  how?: 'reset' | 'close' | 'stall';
  /** No Content-Length (node then sends it chunked). */
  chunked?: boolean;
}

/** A node:http file server at /f that serves ranges and breaks off where it is told to. */
async function fileServer(serving: FileServing = {}) {
  const seen: Seen[] = [];
  const file = serving.file ?? body;
  let held: { stop: number; cut: () => void } | undefined;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    seen.push({ path, range: req.headers.range });
    if (path !== '/f') {
      res.writeHead(404).end('not found');
      return;
    }
    const index = seen.filter((s) => s.path === '/f').length - 1;
    let start = 0;
    const asked = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ranges = serving.ranges ?? 'honour';
    if (asked && ranges !== 'ignore') {
      start = ranges === 'wrong' ? 0 : Number(asked[1]);
      if (start >= file.length) {
        res.writeHead(416, { 'content-range': `bytes */${file.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-range': `bytes ${start}-${file.length - 1}/${file.length}`,
        'content-length': file.length - start,
        'accept-ranges': 'bytes',
      });
    } else {
      res.writeHead(200, {
        ...(serving.chunked ? {} : { 'content-length': file.length }),
        ...(ranges === 'honour' ? { 'accept-ranges': 'bytes' } : {}),
      });
    }
    const stop = serving.breaks?.[index];
    if (stop === undefined) {
      res.end(file.subarray(start));
      return;
    }
    res.write(file.subarray(start, stop));
    if (serving.how === 'stall') return; // connection open, nothing more
    held = {
      stop,
      cut: () => (serving.how === 'close' ? res.socket?.end() : res.socket?.resetAndDestroy()),
    };
  };
  const port = await listen(createHttpServer(handler));
  const cutWhenReceived = (progress: DownloadProgress): void => {
    if (held && progress.bytes >= held.stop) {
      held.cut();
      held = undefined;
    }
  };
  return { url: `http://127.0.0.1:${port}/f`, seen, cutWhenReceived };
}

/** A raw HTTP/1.0 server: no Content-Length unless asked, the body ended by closing. */
async function http10Server(file: Buffer, withLength: boolean): Promise<string> {
  const server = createNetServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write(`HTTP/1.0 200 OK\r\n${withLength ? `Content-Length: ${file.length}\r\n` : ''}\r\n`);
      socket.end(file);
    });
  });
  return `http://127.0.0.1:${await listen(server)}/f`;
}

const options: DownloadOptions = { maxBytes: 1024 * 1024, retryDelayMs: 5 };
/** For servers that break off: their cut comes once the client has received up to it. */
const cutting = (server: { cutWhenReceived: (progress: DownloadProgress) => void }): DownloadOptions => ({
  ...options,
  progressIntervalMs: 5,
  onProgress: server.cutWhenReceived,
});
const target = (): string => join(dir, 'file');
const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => new Error('expected the download to fail'),
    (error: unknown) => error,
  );

describe('downloadFile', () => {
  it('streams to a file, hashes on the way, and leaves no .part', async () => {
    const server = await fileServer();
    const file = await downloadFile(server.url, target(), options);
    expect(file).toEqual({ url: server.url, path: target(), bytes: body.length, sha256: sha256(body) });
    expect(await readFile(target())).toEqual(body);
    expect(await readdir(dir)).toEqual(['file']);
    expect(server.seen).toEqual([{ path: '/f', range: undefined }]);
  });

  it('downloads from an HTTP/1.0 server that closes after each body, 50 times in a row', async () => {
    const lengthless = await http10Server(body, false);
    const sized = await http10Server(body, true);
    for (let run = 0; run < 50; run++) {
      const path = join(dir, `run-${run}`);
      const file = await downloadFile(run % 2 ? sized : lengthless, path, options);
      expect(file.sha256).toBe(sha256(body));
      await rm(path);
    }
  });

  it('downloads a chunked body (no Content-Length)', async () => {
    const server = await fileServer({ chunked: true });
    expect((await downloadFile(server.url, target(), options)).sha256).toBe(sha256(body));
  });

  it('resumes with Range after resets mid-body, and the whole file hashes right', async () => {
    const server = await fileServer({ breaks: [100_000, 250_000] });
    const file = await downloadFile(server.url, target(), cutting(server));
    expect(file.sha256).toBe(sha256(body));
    expect(await readFile(target())).toEqual(body);
    expect(server.seen.map((s) => s.range)).toEqual([undefined, 'bytes=100000-', 'bytes=250000-']);
  });

  it('resumes after the server closes early, and after a stall past the idle timeout', async () => {
    const closing = await fileServer({ breaks: [120_000], how: 'close' });
    expect((await downloadFile(closing.url, target(), cutting(closing))).sha256).toBe(sha256(body));
    expect(closing.seen.map((s) => s.range)).toEqual([undefined, 'bytes=120000-']);
    await rm(target());

    const stalling = await fileServer({ breaks: [50_000], how: 'stall' });
    const file = await downloadFile(stalling.url, target(), { ...options, idleTimeoutMs: 150 });
    expect(file.sha256).toBe(sha256(body));
    expect(stalling.seen.map((s) => s.range)).toEqual([undefined, 'bytes=50000-']);
  });

  it('fails a stall with a named error once the retries are spent, keeping the .part', async () => {
    const server = await fileServer({ breaks: [50_000, 80_000], how: 'stall' });
    const error = await failure(
      downloadFile(server.url, target(), { ...options, idleTimeoutMs: 150, retries: 1 }),
    );
    expect(error).toBeInstanceOf(DownloadInterrupted);
    expect(refusedStep(error)).toBe('download');
    expect((error as Error).message).toMatch(
      new RegExp(
        `download of ${server.url} was cut short after 80000 of 300000 bytes \\(stalled: the server sent ` +
          `nothing for 150 ms; 2 tries\\).*the 80000 bytes received are kept in ${partialPath(target())}`,
      ),
    );
    expect((await stat(partialPath(target()))).size).toBe(80_000);
  });

  it('starts over when the server ignores Range', async () => {
    const server = await fileServer({ ranges: 'ignore', breaks: [100_000] });
    const file = await downloadFile(server.url, target(), cutting(server));
    expect(file.sha256).toBe(sha256(body));
    expect(await readFile(target())).toEqual(body);
    // It asked to continue; the 200 that came back was the whole file, written from the start.
    expect(server.seen.map((s) => s.range)).toEqual([undefined, 'bytes=100000-']);
  });

  it('starts over when a server answers a range with the wrong one', async () => {
    const server = await fileServer({ ranges: 'wrong', breaks: [100_000] });
    expect((await downloadFile(server.url, target(), cutting(server))).sha256).toBe(sha256(body));
    expect(server.seen.map((s) => s.range)).toEqual([undefined, 'bytes=100000-', undefined]);
  });

  it('keeps the .part after the last retry, and the next call resumes it', async () => {
    const broken = await fileServer({ breaks: [100_000, 150_000] });
    const error = await failure(downloadFile(broken.url, target(), { ...cutting(broken), retries: 1 }));
    expect(error).toBeInstanceOf(DownloadInterrupted);
    expect(error).toMatchObject({ bytes: 150_000, partPath: partialPath(target()) });
    expect((error as Error).message).toContain('the connection was reset (ECONNRESET); 2 tries');
    expect(await readdir(dir)).toEqual(['file.part']);

    const fixed = await fileServer();
    const file = await downloadFile(fixed.url, target(), options);
    expect(file.sha256).toBe(sha256(body));
    expect(fixed.seen.map((s) => s.range)).toEqual(['bytes=150000-']);
    expect(await readdir(dir)).toEqual(['file']);
  });

  it('removes the .part after the last retry when asked to', async () => {
    const broken = await fileServer({ breaks: [100_000] });
    const error = await failure(
      downloadFile(broken.url, target(), { ...cutting(broken), retries: 0, keepPartial: false }),
    );
    expect(error).toBeInstanceOf(DownloadInterrupted);
    expect((error as Error).message).toContain('run it again, or list a mirror that serves the file whole');
    expect(await readdir(dir)).toEqual([]);
  });

  it('starts over when the server finds the .part too long (416), or when told not to resume', async () => {
    await writeFile(partialPath(target()), Buffer.alloc(body.length + 10, 9));
    const server = await fileServer();
    expect((await downloadFile(server.url, target(), options)).sha256).toBe(sha256(body));
    expect(server.seen.map((s) => s.range)).toEqual([`bytes=${body.length + 10}-`, undefined]);

    await rm(target());
    await writeFile(partialPath(target()), Buffer.alloc(1000, 9));
    expect((await downloadFile(server.url, target(), { ...options, resume: false })).sha256).toBe(
      sha256(body),
    );
    expect(server.seen.at(-1)?.range).toBeUndefined();
  });

  it('reports progress at most four times a second, then once at the end', async () => {
    const file = makeBody(400_000);
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-length': file.length });
      let sent = 0;
      const next = (): void => {
        if (sent >= file.length) {
          res.end();
          return;
        }
        res.write(file.subarray(sent, sent + 25_000));
        sent += 25_000;
        setTimeout(next, 75); // 16 pieces over ~1.2 s
      };
      next();
    });
    const url = `http://127.0.0.1:${await listen(server)}/f`;
    const reports: (DownloadProgress & { at: number })[] = [];
    const started = Date.now();
    await downloadFile(url, target(), {
      ...options,
      onProgress: (progress) => reports.push({ ...progress, at: Date.now() }),
    });
    const elapsed = Date.now() - started;
    expect(reports.length).toBeGreaterThanOrEqual(3);
    expect(reports.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
    const during = reports.slice(0, -1);
    expect(during.every((r) => r.url === url && r.total === file.length && r.bytes <= file.length)).toBe(
      true,
    );
    expect(during.some((r) => r.rateBytesPerSecond > 0 && r.etaSeconds !== undefined)).toBe(true);
    expect(reports.at(-1)).toMatchObject({ bytes: file.length, total: file.length, etaSeconds: 0 });
    expect(reports.at(-1)!.rateBytesPerSecond).toBeGreaterThan(0);
  });

  it('follows relative and absolute redirects, up to five', async () => {
    const server = await fileServer();
    const redirector = createHttpServer((req, res) => {
      const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '');
      if (req.url === '/relative') res.writeHead(302, { location: 'sub/../chain' }).end();
      else if (req.url === '/chain') res.writeHead(301, { location: '/hop/1' }).end();
      else if (hop && Number(hop[1]) < 9)
        res.writeHead(307, { location: `/hop/${Number(hop[1]) + 1}` }).end();
      else if (req.url === '/to-file') res.writeHead(308, { location: server.url }).end();
      else if (req.url === '/a') res.writeHead(302, { location: '/b' }).end();
      else if (req.url === '/b') res.writeHead(302, { location: '/a' }).end();
      else if (req.url === '/nowhere') res.writeHead(302).end();
      else res.writeHead(404).end();
    });
    const base = `http://127.0.0.1:${await listen(redirector)}`;

    const viaOne = await downloadFile(`${base}/to-file`, join(dir, 'one'), options);
    expect(viaOne.sha256).toBe(sha256(body));

    // /relative → /chain → /hop/1 … /hop/9: more than five hops.
    const tooMany = await failure(downloadFile(`${base}/relative`, join(dir, 'many'), options));
    expect(tooMany).toBeInstanceOf(SourceUnavailable);
    expect((tooMany as Error).message).toMatch(
      new RegExp(
        `^${base}/relative: HTTP 307, redirects more than 5 times \\(${base}/relative → ${base}/chain → `,
      ),
    );

    const loop = await failure(downloadFile(`${base}/a`, join(dir, 'loop'), options));
    expect(loop).toBeInstanceOf(SourceUnavailable);
    expect((loop as SourceUnavailable).detail).toBe(
      `HTTP 302, redirects in a loop: ${base}/a → ${base}/b → ${base}/a`,
    );
    const nowhere = await failure(downloadFile(`${base}/nowhere`, join(dir, 'nowhere'), options));
    expect((nowhere as SourceUnavailable).detail).toBe('HTTP 302, redirects without a Location header');
    expect(await readdir(dir)).toEqual(['one']);
  });

  it('reports 404, 5xx, a refused connection and a silent server as an unavailable source', async () => {
    const server = createHttpServer((req, res) => {
      if (req.url === '/busy') res.writeHead(503).end();
      else if (req.url === '/silent') return;
      else res.writeHead(404).end();
    });
    const base = `http://127.0.0.1:${await listen(server)}`;
    const detail = async (url: string, extra: Partial<DownloadOptions> = {}): Promise<string> => {
      const error = await failure(downloadFile(url, target(), { ...options, ...extra }));
      expect(error).toBeInstanceOf(SourceUnavailable);
      expect((error as Error).message).toContain(`${url}: `);
      expect((error as Error).message).toContain('check the address and that the server is up');
      return (error as SourceUnavailable).detail;
    };
    expect(await detail(`${base}/missing`)).toBe('not found (HTTP 404)');
    expect(await detail(`${base}/busy`)).toBe('HTTP 503');
    expect(await detail(`${await closedPortUrl()}x`)).toMatch(/ECONNREFUSED/);
    expect(await detail(`${base}/silent`, { headersTimeoutMs: 150 })).toBe('no answer within 150 ms');
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a file over the cap, announced or only sent', async () => {
    const announced = await fileServer();
    const error = await failure(downloadFile(announced.url, target(), { ...options, maxBytes: 1000 }));
    expect(error).toBeInstanceOf(DownloadRefused);
    expect((error as Error).message).toBe(
      `${announced.url} announces 300000 bytes, more than the 1000-byte cap for this file; refusing it. ` +
        'Check the source serves the right file.',
    );
    const unannounced = await fileServer({ chunked: true });
    const sent = await failure(downloadFile(unannounced.url, target(), { ...options, maxBytes: 1000 }));
    expect(sent).toBeInstanceOf(DownloadRefused);
    expect(refusedStep(sent)).toBe('download');
    expect((sent as Error).message).toMatch(/sent more than the 1000-byte cap for this file; refusing it/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("stops on the caller's abort with its reason and keeps the .part", async () => {
    const server = await fileServer({ breaks: [100_000], how: 'stall' });
    const controller = new AbortController();
    const error = await failure(
      downloadFile(server.url, target(), {
        ...options,
        progressIntervalMs: 20,
        onProgress: (progress) => {
          if (progress.bytes >= 100_000) controller.abort(new Error('the user cancelled'));
        },
        signal: controller.signal,
      }),
    );
    expect((error as Error).message).toBe('the user cancelled');
    expect((await stat(partialPath(target()))).size).toBe(100_000);
    expect(server.seen).toHaveLength(1);
  });
});

describe('redirects over HTTPS', () => {
  const openssl = promisify(execFile);

  async function selfSignedCertificate(): Promise<{ key: Buffer; cert: Buffer }> {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await openssl('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    return { key: await readFile(key), cert: await readFile(cert) };
  }

  it('downloads over HTTPS and refuses a redirect from HTTPS to plain HTTP', async () => {
    const plain = await fileServer();
    const tls = await selfSignedCertificate();
    const server = createHttpsServer(tls, (req, res) => {
      if (req.url === '/f') res.writeHead(200, { 'content-length': body.length }).end(body);
      else if (req.url === '/same') res.writeHead(302, { location: '/f' }).end();
      else res.writeHead(302, { location: plain.url }).end();
    });
    const base = `https://127.0.0.1:${await listen(server)}`;
    const agent = new Agent({ ca: tls.cert });
    cleanups.push(() => agent.close());
    const file = await downloadFile(`${base}/same`, join(dir, 'tls'), { ...options, agent });
    expect(file.sha256).toBe(sha256(body));

    const error = await failure(downloadFile(`${base}/down`, target(), { ...options, agent }));
    expect(error).toBeInstanceOf(SourceUnavailable);
    expect((error as SourceUnavailable).detail).toBe(
      `HTTP 302, redirects from HTTPS to plain HTTP (${plain.url}); refusing the downgrade`,
    );
    expect(plain.seen).toEqual([]);
  });
});

describe('downloadFromFirstSource', () => {
  let server: FileServer;
  let other: FileServer;
  beforeEach(async () => {
    server = await startFileServer();
    other = await startFileServer();
    cleanups.push(() => Promise.all([server.close(), other.close()]));
  });

  it('tries sources in order and records each try', async () => {
    other.routes.set('/f', body);
    const attempts: SourceAttempt[] = [];
    const file = await downloadFromFirstSource(
      'f',
      [
        { source: server.url, url: `${server.url}f` },
        { source: other.url, url: `${other.url}f` },
      ],
      join(dir, 'f'),
      options,
      attempts,
    );
    expect(file.url).toBe(`${other.url}f`);
    expect(attempts.map((a) => a.outcome)).toEqual(['unavailable', 'served']);
  });

  it('names every source when none serves the file', async () => {
    const down = await closedPortUrl();
    const error = await failure(
      downloadFromFirstSource(
        'f',
        [
          { source: server.url, url: `${server.url}f` },
          { source: down, url: `${down}f` },
        ],
        join(dir, 'f'),
        options,
        [],
      ),
    );
    expect(refusedStep(error)).toBe('download');
    expect((error as Error).message).toMatch(
      new RegExp(`^no source served f: ${server.url}f: not found \\(HTTP 404\\); ${down}f: .*ECONNREFUSED`),
    );
  });

  it('does not move on to the next source after one served the file badly', async () => {
    server.routes.set('/f', { body, sendBytes: 1000 });
    other.routes.set('/f', body);
    const error = await failure(
      downloadFromFirstSource(
        'f',
        [
          { source: server.url, url: `${server.url}f` },
          { source: other.url, url: `${other.url}f` },
        ],
        join(dir, 'f'),
        { ...options, retries: 1 },
        [],
      ),
    );
    expect(error).toBeInstanceOf(DownloadInterrupted);
    expect((error as Error).message).toMatch(/was cut short after 1000 of 300000 bytes/);
    expect(other.requests).toEqual([]);
  });
});

describe('downloadAgreedFile', () => {
  let server: FileServer;
  let other: FileServer;
  beforeEach(async () => {
    server = await startFileServer();
    other = await startFileServer();
    cleanups.push(() => Promise.all([server.close(), other.close()]));
  });
  const both = () => [
    { source: server.url, url: `${server.url}SHA256SUMS` },
    { source: other.url, url: `${other.url}SHA256SUMS` },
  ];

  it('keeps one copy when every source agrees', async () => {
    server.routes.set('/SHA256SUMS', 'same\n');
    other.routes.set('/SHA256SUMS', 'same\n');
    const file = await downloadAgreedFile('SHA256SUMS', both(), join(dir, 'SHA256SUMS'), options, []);
    expect(file.source).toBe(server.url);
    expect(file.sha256).toBe(sha256Hex(Buffer.from('same\n')));
    expect(await readdir(dir)).toEqual(['SHA256SUMS']);
  });

  it('fails closed when a mirror disagrees with the primary', async () => {
    server.routes.set('/SHA256SUMS', 'one\n');
    other.routes.set('/SHA256SUMS', 'two\n');
    const error = await failure(
      downloadAgreedFile('SHA256SUMS', both(), join(dir, 'SHA256SUMS'), options, []),
    );
    expect(refusedStep(error)).toBe('mirror-check');
    expect((error as Error).message).toContain(
      `mirror ${other.url} serves different SHA256SUMS than primary ${server.url}`,
    );
  });

  it('says so when the primary was down and two mirrors disagree', async () => {
    const third = await startFileServer();
    cleanups.push(() => third.close());
    server.routes.set('/SHA256SUMS', 'one\n');
    third.routes.set('/SHA256SUMS', 'two\n');
    const down = await closedPortUrl();
    const error = await failure(
      downloadAgreedFile(
        'SHA256SUMS',
        [
          { source: down, url: `${down}SHA256SUMS` },
          { source: server.url, url: `${server.url}SHA256SUMS` },
          { source: third.url, url: `${third.url}SHA256SUMS` },
        ],
        join(dir, 'SHA256SUMS'),
        options,
        [],
      ),
    );
    expect((error as Error).message).toContain(
      `than ${server.url} (the first source that answered; the primary did not)`,
    );
  });
});
