// A local stand-in for bitcoincore.org/bin and a builder-key source, on 127.0.0.1 only: serves an
// upstream-shaped release (tarball, SHA256SUMS, SHA256SUMS.asc signed by builder keys made by the
// test) and the builders' public keys by fingerprint. It honours Range requests (resumed
// downloads), can break a transfer off on purpose or send it slowly (so a download's progress can
// be watched), and logs every request with its Range header, so a test can see what a node fetched
// and what it resumed.

import { createServer, type Server, type ServerResponse } from 'node:http';

export interface MirrorRequest {
  path: string;
  range?: string;
}

export interface ReleaseMirror {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Where releases live, upstream's layout below it: `<url>bin/`. */
  releases: string;
  /** A key source template: `<url>keys/{fingerprint}`. */
  keySource: string;
  requests: MirrorRequest[];
  /** Serves `body` at `path` (null removes it). */
  put(path: string, body: Buffer | string | null): void;
  /** The next `times` GETs of `path` send only `bytes` bytes of the body, then drop the connection. */
  breakOff(path: string, times: number, bytes: number): void;
  /** GETs of `path` send the body at about `bytesPerSecond` (null: at full speed again). */
  pace(path: string, bytesPerSecond: number | null): void;
  close(): Promise<void>;
}

/** How often a paced body gets its next slice. */
const PACE_TICK_MS = 50;

/** Writes `data` a slice per tick at about `bytesPerSecond`, then ends; stops when the client goes. */
function sendPaced(res: ServerResponse, data: Buffer, bytesPerSecond: number): void {
  const slice = Math.max(1, Math.ceil((bytesPerSecond * PACE_TICK_MS) / 1000));
  let offset = 0;
  const next = (): void => {
    if (res.destroyed) return;
    const end = Math.min(data.length, offset + slice);
    const chunk = data.subarray(offset, end);
    offset = end;
    if (offset >= data.length) {
      res.end(chunk);
      return;
    }
    res.write(chunk);
    // Unref'd: a transfer still trickling never keeps a test process alive.
    setTimeout(next, PACE_TICK_MS).unref();
  };
  next();
}

export async function startReleaseMirror(): Promise<ReleaseMirror> {
  const files = new Map<string, Buffer>();
  const breaks = new Map<string, { times: number; bytes: number }>();
  const paces = new Map<string, number>();
  const requests: MirrorRequest[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://mirror').pathname);
    const range = req.headers.range;
    requests.push({ path, ...(range !== undefined && { range }) });
    const body = files.get(path);
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    let start = 0;
    const match = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (match) {
      start = Number(match[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-length': body.length - start,
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        'accept-ranges': 'bytes',
      });
    } else {
      res.writeHead(200, { 'content-length': body.length, 'accept-ranges': 'bytes' });
    }
    const cut = breaks.get(path);
    if (cut && cut.times > 0) {
      cut.times -= 1;
      res.write(body.subarray(start, Math.max(start, cut.bytes)), () => res.socket?.destroy());
      return;
    }
    const rate = paces.get(path);
    if (rate !== undefined) {
      sendPaced(res, body.subarray(start), rate);
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    releases: `${url}bin/`,
    keySource: `${url}keys/{fingerprint}`,
    requests,
    put: (path, body) => {
      if (body === null) files.delete(path);
      else files.set(path, Buffer.from(body));
    },
    breakOff: (path, times, bytes) => breaks.set(path, { times, bytes }),
    pace: (path, bytesPerSecond) => {
      if (bytesPerSecond === null) paces.delete(path);
      else if (bytesPerSecond > 0) paces.set(path, bytesPerSecond);
      else throw new Error(`pace ${path}: expected bytes per second above 0, or null`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
