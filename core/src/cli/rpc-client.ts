import { request as httpRequest } from 'node:http';
import { RpcErrorCode, type RpcMethodName, type RpcMethods } from '../api/contract.js';
import { backoffDelay } from '../util/backoff.js';
import { CliError } from './cli-error.js';

/** Everything a client needs to talk to one daemon. */
export interface DaemonEndpoint {
  url: string;
  token: string;
  cookieFile: string;
  /** Named in "is it running?" hints. */
  dataDir: string;
}

export interface CallOptions {
  /** For calls that legitimately run for minutes (an install pulling a large image). */
  noTimeout?: boolean;
}

/** Errors that mean nothing answered at the daemon's address. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);

/**
 * A JSON-RPC client for POST /rpc/v1, typed by the contract's RpcMethods. Built on node:http,
 * which is already loaded at startup: every archy command pays for its client's import, and
 * a command that answers in a blink is part of a CLI that feels fast.
 */
export class RpcClient {
  private nextId = 1;

  constructor(private readonly endpoint: DaemonEndpoint) {}

  async call<M extends RpcMethodName>(
    method: M,
    params: RpcMethods[M]['params'],
    options: CallOptions = {},
  ): Promise<RpcMethods[M]['result']> {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    let response: { statusCode: number; text: string };
    // A daemon that is still starting binds its port first and answers 503 Busy until its apps
    // are reconciled (daemon/boot-gate.ts), before reading any request: waiting and asking again
    // is safe, and spares every script the race with a daemon it has just started.
    const startingUntil = Date.now() + BOOT_WAIT_MS;
    for (let retry = 0; ; retry += 1) {
      try {
        response = await postJson(
          `${this.endpoint.url}/rpc/v1`,
          this.endpoint.token,
          body,
          options.noTimeout ? 0 : DEFAULT_TIMEOUT_MS,
        );
      } catch (error) {
        throw unreachableError(this.endpoint, error);
      }
      if (!isStartingAnswer(response) || Date.now() >= startingUntil) break;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(BOOT_RETRY, retry)));
    }

    if (response.statusCode === 401) throw unauthorizedError(this.endpoint);
    const payload = parseJson(response.text);
    const rpcError = payload?.error;
    if (isRpcErrorObject(rpcError)) {
      throw new CliError(rpcError.message, {
        rpcCode: rpcError.code,
        data: (rpcError as { data?: unknown }).data,
      });
    }
    if (response.statusCode !== 200 || payload === undefined || !('result' in payload)) {
      throw new CliError(
        `the daemon at ${this.endpoint.url} gave an unexpected answer (HTTP ${response.statusCode}); is that URL an Archipelago daemon?`,
      );
    }
    return payload.result as RpcMethods[M]['result'];
  }

  async close(): Promise<void> {
    // Each call uses its own connection (no keep-alive agent), so nothing is left open.
  }
}

/** How long an ordinary call may take before the CLI gives up on the daemon. */
const DEFAULT_TIMEOUT_MS = 300_000;
/** How long a call waits for a starting daemon to open its API (a Pi with many apps is slow). */
const BOOT_WAIT_MS = 120_000;
/** A fixed, short interval: a starting daemon's gate opens at a moment the CLI cannot know. */
const BOOT_RETRY = { initialMs: 250, maxMs: 250, factor: 1 };

/** The boot gate's answer: HTTP 503 with the JSON-RPC Busy error, the request not yet read. */
function isStartingAnswer(response: { statusCode: number; text: string }): boolean {
  if (response.statusCode !== 503) return false;
  const error = parseJson(response.text)?.error;
  return isRpcErrorObject(error) && error.code === RpcErrorCode.Busy;
}

function postJson(
  url: string,
  token: string,
  body: string,
  timeoutMs: number,
): Promise<{ statusCode: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ statusCode: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    if (timeoutMs > 0) {
      req.setTimeout(timeoutMs, () =>
        req.destroy(
          Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }),
        ),
      );
    }
    req.on('error', reject);
    req.end(body);
  });
}

export function unreachableError(endpoint: DaemonEndpoint, error: unknown): Error {
  const code = errorCode(error);
  if (code === undefined || !UNREACHABLE_CODES.has(code))
    return error instanceof Error ? error : new Error(String(error));
  const detail = code === 'ECONNREFUSED' ? '' : ` (${code})`;
  return new CliError(
    `cannot reach the daemon at ${endpoint.url}${detail}: is it running? start it with 'archy daemon --data-dir ${endpoint.dataDir}'`,
    { cause: error },
  );
}

export function unauthorizedError(endpoint: DaemonEndpoint): CliError {
  return new CliError(
    `the daemon at ${endpoint.url} refused the token from ${endpoint.cookieFile}: it writes a new one at each start; pass the data dir of the daemon at that URL with --data-dir (or set ARCHY_DATA_DIR)`,
    { rpcCode: RpcErrorCode.Unauthorized },
  );
}

// node:http puts the socket error's code on the error itself; a wrapper may carry it as its cause.
function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
    current = current.cause;
  }
  return error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? undefined) : undefined;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isRpcErrorObject(value: unknown): value is { code: number; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'number' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}
