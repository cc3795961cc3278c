// The bitcoin probe's one call: `getblockchaininfo` over bitcoind's JSON-RPC (HTTP POST with Basic
// auth), made by the daemon itself — never through `podman exec`, whose session keeps a conmon pair
// alive for five minutes after every probe on Podman 4.3 (`--exit-delay 300`).
//
// Two ways to the RPC port, cheapest first: the port published on the host (node:http from the
// daemon, no process at all), or inside the app's network namespace (netns-probe.ts) with busybox
// `nc` carrying the request. Not busybox `wget`: it can POST (--post-data) with a header
// (--header), but only from its argv, and any local user can read a process's argv — the password
// would show in `ps`. nc reads the request, credentials included, from its stdin.

import { request } from 'node:http';
import type { ChainSync } from '../kernel/index.js';
import { blockchainInfoSync } from './bitcoin-sync.js';

export interface RpcCredentials {
  user: string;
  password: string;
}

/** An HTTP answer, status and body. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/** What the node's answer means for the probe. */
export type RpcVerdict =
  | { ok: true; sync: ChainSync }
  | { ok: false; detail: string; credentialsRefused?: true; connectionRefused?: true };

/** JSON-RPC 1.0, as bitcoin-cli sends it: understood by every bitcoind version. */
const BODY = JSON.stringify({ jsonrpc: '1.0', id: 'archy-health', method: 'getblockchaininfo', params: [] });

/** No getblockchaininfo answer comes near this; anything bigger is not bitcoind. */
export const MAX_ANSWER_BYTES = 64 * 1024;

const basicAuth = ({ user, password }: RpcCredentials): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * The whole request as bytes on the wire, for a client that only moves bytes (nc). `Connection:
 * close` makes bitcoind close after its reply, which is what ends nc.
 */
export function rawGetBlockchainInfoRequest(port: number, credentials: RpcCredentials): string {
  return [
    'POST / HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Connection: close',
    `Authorization: ${basicAuth(credentials)}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(BODY)}`,
    '',
    BODY,
  ].join('\r\n');
}

/** Status and body of a raw HTTP/1.x response (Content-Length or chunked); undefined if it is none. */
export function parseRawHttpResponse(raw: string): HttpAnswer | undefined {
  const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r?\n/.exec(raw);
  if (!match) return undefined;
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd < 0) return { status: Number(match[1]), body: '' };
  const head = raw.slice(0, headerEnd);
  let body = raw.slice(headerEnd + 4);
  if (/^transfer-encoding:\s*chunked\s*$/im.test(head)) body = dechunk(body);
  return { status: Number(match[1]), body };
}

function dechunk(body: string): string {
  const parts: string[] = [];
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) break;
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(rest.slice(lineEnd + 2, lineEnd + 2 + size));
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
  return parts.join('');
}

/**
 * POSTs getblockchaininfo to `127.0.0.1:port` from the daemon. node:http rather than undici, as the
 * HTTP probe does: one request to a server that closes the connection after it.
 */
export function postGetBlockchainInfo(
  port: number,
  credentials: RpcCredentials,
  timeoutMs: number,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        method: 'POST',
        agent: false,
        headers: {
          authorization: basicAuth(credentials),
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(BODY),
          connection: 'close',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES)
            req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    // The whole exchange, not just idle time: a node that trickles bytes is not answering either.
    const timer = setTimeout(
      () =>
        req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })),
      timeoutMs,
    );
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(BODY);
  });
}

/** What an answer to getblockchaininfo says: the node's sync, or why it is not healthy (yet). */
export function judgeRpcAnswer(answer: HttpAnswer): RpcVerdict {
  const { status, body } = answer;
  if (status === 401) {
    return {
      ok: false,
      credentialsRefused: true,
      detail:
        "bitcoin RPC refused the node's credentials (HTTP 401): it runs with an rpcauth that does not match " +
        "the password in Archipelago's secret store; remove the app (without --purge: its data and " +
        'credentials are kept) and install it again, so the node starts with them',
    };
  }
  if (status === 403) {
    return {
      ok: false,
      connectionRefused: true,
      detail: "bitcoin RPC refused the probe's address (HTTP 403): the node's -rpcallowip does not allow it",
    };
  }
  let reply: { result?: unknown; error?: { code?: unknown; message?: unknown } | null } | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      reply = parsed as typeof reply;
  } catch {
    // Not JSON: said below.
  }
  const error = reply?.error;
  if (error && typeof error === 'object') {
    const code = typeof error.code === 'number' ? error.code : undefined;
    const message = typeof error.message === 'string' ? error.message.slice(0, 200) : 'no message';
    // -28 (RPC_IN_WARMUP): loading the block index, verifying blocks… — up, not ready.
    if (code === -28) return { ok: false, detail: `bitcoin RPC is warming up (error -28): ${message}` };
    return { ok: false, detail: `bitcoin RPC answered error ${code ?? '?'}: ${message}` };
  }
  const sync = status === 200 ? blockchainInfoSync(reply?.result) : undefined;
  if (!sync) {
    const said = body.trim().split('\n')[0]?.slice(0, 200) ?? '';
    return {
      ok: false,
      detail: `bitcoin RPC answered something other than getblockchaininfo (HTTP ${status})${said ? `: ${said}` : ''}`,
    };
  }
  return { ok: true, sync };
}
