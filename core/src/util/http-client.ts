// The daemon's one HTTP client (Podman's unix socket, registries, catalog and release servers),
// on Node's own node:http/node:https. Fastify loads both at startup anyway, so this costs no
// memory; undici, used before, added ~4.5 MB of idle RSS and crashed the process with an
// uncatchable assertion in its parser when a plain HTTP/1.0 server closed the connection after a
// body (nodejs/undici#5360). The surface stays undici's `request()`: status, headers and a body
// to stream or read whole. It never follows redirects itself; the callers that do share one rule
// (`redirectTarget`).

import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
export type { IncomingHttpHeaders };

/** undici's defaults, which every caller was written against. */
const DEFAULT_HEADERS_TIMEOUT_MS = 300_000;
const DEFAULT_BODY_TIMEOUT_MS = 300_000;
/** `dump()` reads this much of an unwanted body to keep the connection; past it, it drops it. */
const DUMP_LIMIT_BYTES = 128 * 1024;

export interface AgentOptions {
  /** Connect to this unix socket whatever the URL's host says (Podman's API socket). */
  socketPath?: string;
  /** Keep connections open for the next request. Default true. */
  keepAlive?: boolean;
  /** Certificates to trust for HTTPS instead of the system's (a private mirror's own CA, tests). */
  ca?: string | Buffer;
}

/**
 * A connection pool: one node:http agent, and one node:https agent made on first use (most
 * pools only ever talk plain HTTP to a unix socket or loopback). `close()` ends it.
 */
export class Agent {
  readonly socketPath: string | undefined;
  private readonly keepAlive: boolean;
  private readonly ca: string | Buffer | undefined;
  private httpAgent: HttpAgent | undefined;
  private httpsAgent: HttpsAgent | undefined;
  private closed = false;

  constructor(options: AgentOptions = {}) {
    this.socketPath = options.socketPath;
    this.keepAlive = options.keepAlive ?? true;
    this.ca = options.ca;
  }

  /** The agent for a URL's protocol, and the request function that goes with it. */
  async forProtocol(protocol: string): Promise<{ agent: HttpAgent; send: typeof httpRequest }> {
    if (this.closed) throw new HttpClientError('AGENT_CLOSED', 'this HTTP connection pool was closed');
    // The socket path goes with each request (node's agent connects there and pools by it).
    const options = { keepAlive: this.keepAlive };
    if (protocol === 'http:')
      return { agent: (this.httpAgent ??= new HttpAgent(options)), send: httpRequest };
    if (protocol !== 'https:') throw new TypeError(`unsupported protocol ${protocol}; use http: or https:`);
    // Loaded on first use: a CLI command that never speaks TLS does not pay for it.
    const https = await import('node:https');
    return {
      agent: (this.httpsAgent ??= new https.Agent({ ...options, ...(this.ca ? { ca: this.ca } : {}) })),
      send: https.request,
    };
  }

  /** Ends every connection, idle or in use (a body still streaming fails); later requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.httpAgent?.destroy();
    this.httpsAgent?.destroy();
  }
}

/** A failure of this client's own making; node's socket errors (ECONNREFUSED…) pass through as they are. */
export class HttpClientError extends Error {
  constructor(
    readonly code: 'HEADERS_TIMEOUT' | 'BODY_TIMEOUT' | 'AGENT_CLOSED',
    message: string,
  ) {
    super(message);
    this.name = 'HttpClientError';
  }
}

export interface RequestOptions {
  method?: HttpMethod;
  headers?: OutgoingHttpHeaders;
  /** Sent whole, with its Content-Length. */
  body?: string | Buffer | undefined;
  /** Aborts the request, or the body if the headers are in: the promise or the body fails with its reason. */
  signal?: AbortSignal | undefined;
  /** Until the response headers arrive (connecting included); 0 = no limit. Default 300 s. */
  headersTimeout?: number | undefined;
  /** Longest silence from the server while the body streams; 0 = no limit. Default 300 s. */
  bodyTimeout?: number | undefined;
  /** The connection pool to use; a shared default one otherwise. */
  agent?: Agent | undefined;
}

/** A response body: a Readable to `for await`, or read whole. Read or dump it, or destroy it. */
export interface ResponseBody extends Readable {
  text(): Promise<string>;
  json(): Promise<unknown>;
  /** Discards the rest (a bounded read, so the connection can be reused); never throws. */
  dump(): Promise<void>;
}

export interface ResponseData {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
}

let sharedAgent: Agent | undefined;

const IDEMPOTENT = new Set<string>(['GET', 'HEAD', 'OPTIONS']);

/** One HTTP request: its status, headers and streamed body. */
export async function request(url: string | URL, options: RequestOptions = {}): Promise<ResponseData> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const pool = options.agent ?? (sharedAgent ??= new Agent());
  const { agent, send } = await pool.forProtocol(target.protocol);
  try {
    return await sendOnce(target, options, pool, agent, send);
  } catch (error) {
    // A kept-alive connection the server closed while it sat idle fails on its next use, before
    // any answer. Sending a safe request again on a fresh connection is what browsers do.
    const method = options.method ?? 'GET';
    if ((error as { reusedSocketReset?: boolean }).reusedSocketReset && IDEMPOTENT.has(method))
      return sendOnce(target, options, pool, agent, send);
    throw error;
  }
}

function sendOnce(
  target: URL,
  options: RequestOptions,
  pool: Agent,
  agent: HttpAgent,
  send: typeof httpRequest,
): Promise<ResponseData> {
  const { signal } = options;
  return new Promise<ResponseData>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const req: ClientRequest = send(target, {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      agent,
      ...(pool.socketPath ? { socketPath: pool.socketPath } : {}),
    });
    let response: IncomingMessage | undefined;

    const headersTimeout = options.headersTimeout ?? DEFAULT_HEADERS_TIMEOUT_MS;
    const headersTimer =
      headersTimeout > 0
        ? setTimeout(
            () =>
              req.destroy(
                new HttpClientError('HEADERS_TIMEOUT', `no response headers within ${headersTimeout} ms`),
              ),
            headersTimeout,
          )
        : undefined;
    const onAbort = (): void => {
      if (response) response.destroy(signal!.reason as Error);
      else req.destroy(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    req.on('error', (error: Error & { code?: string }) => {
      clearTimeout(headersTimer);
      if (response) {
        // The body carries it (a reset mid-body reads better than Node's generic "aborted").
        if (!response.destroyed) response.destroy(error);
        return;
      }
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      if (req.reusedSocket && error.code === 'ECONNRESET') Object.assign(error, { reusedSocketReset: true });
      reject(error);
    });

    req.on('response', (res: IncomingMessage) => {
      clearTimeout(headersTimer);
      response = res;
      const socket = res.socket;
      const stopWatching = watchBodySilence(res, socket, options.bodyTimeout ?? DEFAULT_BODY_TIMEOUT_MS);
      res.once('close', () => {
        stopWatching();
        signal?.removeEventListener('abort', onAbort);
      });
      // Readers see a body's errors through their iterator or pipeline; this listener only keeps an
      // unread body that fails (a timeout, an abort) from crashing the process.
      res.on('error', () => undefined);
      resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: withReaders(res) });
    });

    req.end(options.body);
  });
}

/**
 * Fails the body when the server sends nothing for `timeoutMs`. Silence while our own reader is
 * behind (data waiting in the body's buffer, the socket paused for backpressure) is not the
 * server's: the clock only runs while the body is drained.
 */
function watchBodySilence(res: IncomingMessage, socket: Socket, timeoutMs: number): () => void {
  if (timeoutMs <= 0 || res.complete) return () => undefined;
  // The reader was behind at the last check. It has drained the buffer since, at some moment in
  // the last period we cannot see, and the socket resumes only then: the server gets a whole
  // period from now before its silence counts (found as a false BODY_TIMEOUT under load, when
  // the check ran between the reader draining the buffer and the socket's next read).
  let readerWasBehind = false;
  const timer = setTimeout(function onSilence() {
    if (res.complete) return; // every byte is in: nothing more to wait for
    if (res.readableLength > 0 || readerWasBehind) {
      readerWasBehind = res.readableLength > 0;
      timer.refresh();
      return;
    }
    res.destroy(new HttpClientError('BODY_TIMEOUT', `the server sent nothing for ${timeoutMs} ms`));
  }, timeoutMs);
  const onData = (): void => {
    readerWasBehind = false;
    timer.refresh();
  };
  socket.on('data', onData);
  return () => {
    clearTimeout(timer);
    socket.off('data', onData);
  };
}

function withReaders(res: IncomingMessage): ResponseBody {
  const text = async (): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const dump = async (): Promise<void> => {
    let read = 0;
    try {
      for await (const chunk of res) {
        read += (chunk as Buffer).length;
        if (read > DUMP_LIMIT_BYTES) {
          res.destroy(); // and its connection: cheaper than reading on
          break;
        }
      }
    } catch {
      // An unwanted body that fails is no one's problem.
    }
  };
  return Object.assign(res, { text, json: async () => JSON.parse(await text()) as unknown, dump });
}

/** Static hosting hands files on (HTTP → HTTPS, a CDN); more hops than this is a loop or a mistake. */
export const MAX_REDIRECTS = 5;

/**
 * Where a redirect leads, or why we won't follow it. Relative locations resolve against the
 * current URL; HTTPS never hands over to plain HTTP (what we fetch could then be swapped on the
 * way); a location already visited is a loop; more than MAX_REDIRECTS hops is too many.
 */
export function redirectTarget(
  from: URL,
  location: string | undefined,
  visited: readonly string[],
): { next: URL } | { refused: string } {
  if (!location) return { refused: 'redirects without a Location header' };
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return { refused: `redirects to '${location.slice(0, 200)}', which is not a URL` };
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:')
    return { refused: `redirects to ${next.protocol} (${next.href}), which is not HTTP` };
  if (from.protocol === 'https:' && next.protocol === 'http:')
    return { refused: `redirects from HTTPS to plain HTTP (${next.href}); refusing the downgrade` };
  if (visited.includes(next.href))
    return { refused: `redirects in a loop: ${[...visited, next.href].join(' → ')}` };
  if (visited.length > MAX_REDIRECTS)
    return { refused: `redirects more than ${MAX_REDIRECTS} times (${visited.join(' → ')} → …)` };
  return { next };
}

/**
 * Reads a response body up to `limit` bytes. Past it the stream is destroyed and the answer is
 * undefined when `strict`, else what was read so far (enough of an error body to quote).
 */
export async function readLimited(
  body: Readable,
  limit: number,
  strict: boolean,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > limit) {
      body.destroy();
      return strict ? undefined : Buffer.concat(chunks);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
