import { Agent, request, type HttpMethod, type ResponseBody } from '../util/http-client.js';
import { PodmanError, podmanErrorFromBody } from './errors.js';

/** Every libpod path is served under this version prefix; 4.3 accepts it for compat paths too. */
const API_PREFIX = '/v4.0.0';
/** A generous default for calls that should answer quickly; long calls pass their own. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

export interface CallOptions {
  query?: Query | undefined;
  /** A JSON-serialisable body, or raw bytes (sent as application/octet-stream). */
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Aborts the call after this long; 0 disables the timeout (streams, waits). */
  timeoutMs?: number | undefined;
  /** Statuses ≥ 300 that are answers, not failures (e.g. 304 "already stopped"). */
  acceptStatus?: readonly number[];
}

export interface RawResponse {
  status: number;
  body: ResponseBody;
}

/** Encodes libpod's `filters` query parameter: a JSON object of string lists. */
export function encodeFilters(filters: Record<string, readonly string[]> | undefined): string | undefined {
  if (!filters) return undefined;
  const nonEmpty = Object.entries(filters).filter(([, values]) => values.length > 0);
  return nonEmpty.length ? JSON.stringify(Object.fromEntries(nonEmpty)) : undefined;
}

/** Label filters for `encodeFilters`: key → value, or `true` for "has the key, any value". */
export const labelFilters = (labels: Record<string, string | true> | undefined): string[] =>
  Object.entries(labels ?? {}).map(([key, value]) => (value === true ? key : `${key}=${value}`));

/**
 * HTTP over Podman's unix socket. One Agent (connection pool) per client; `close()` ends it.
 * Turns every failure into a PodmanError that names the call, except a caller's own abort,
 * which surfaces as the signal's reason so callers can tell "I cancelled" from "it failed".
 */
export class PodmanTransport {
  readonly socketPath: string;
  private readonly agent: Agent;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    this.agent = new Agent({ socketPath });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** A call whose answer is JSON (or empty); returns the parsed body. */
  async json<T>(method: HttpMethod, path: string, options: CallOptions = {}): Promise<T> {
    const response = await this.send(method, path, options, false);
    const text = await response.body.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new PodmanError(
        callName(method, path),
        response.status,
        `answer is not JSON: ${text.slice(0, 200)}`,
        {
          cause: err,
        },
      );
    }
  }

  /** A call whose answer is a status only (body ignored). Returns the status. */
  async call(method: HttpMethod, path: string, options: CallOptions = {}): Promise<number> {
    const response = await this.send(method, path, options, false);
    await response.body.dump();
    return response.status;
  }

  /**
   * A call whose answer is a long stream (logs, events, pull progress): no body timeout, and the
   * timeout, if any, covers only the wait for the headers. The caller must consume or destroy
   * the body.
   */
  async stream(method: HttpMethod, path: string, options: CallOptions = {}): Promise<RawResponse> {
    return this.send(method, path, options, true);
  }

  private async send(
    method: HttpMethod,
    path: string,
    options: CallOptions,
    streaming: boolean,
  ): Promise<RawResponse> {
    const call = callName(method, path);
    const timeoutMs = options.timeoutMs ?? (streaming ? 0 : DEFAULT_TIMEOUT_MS);
    const timeout = timeoutMs > 0 ? new AbortController() : undefined;
    const timer = timeout ? setTimeout(() => timeout.abort(), timeoutMs) : undefined;
    const signals = [options.signal, timeout?.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];

    const { body, contentType } = encodeBody(options.body);
    try {
      const response = await request(`http://podman${API_PREFIX}${path}${encodeQuery(options.query)}`, {
        agent: this.agent,
        method,
        headers: contentType ? { 'content-type': contentType } : {},
        body,
        signal,
        headersTimeout: 0,
        bodyTimeout: streaming ? 0 : undefined,
      });
      const ok = response.statusCode < 300 || options.acceptStatus?.includes(response.statusCode);
      if (!ok) {
        const text = await response.body.text().catch(() => '');
        throw podmanErrorFromBody(call, response.statusCode, text);
      }
      return { status: response.statusCode, body: response.body };
    } catch (err) {
      if (err instanceof PodmanError) throw err;
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout?.signal.aborted) {
        throw new PodmanError(call, 0, `no answer within ${timeoutMs} ms`, {
          cause: err,
          message: `podman ${call} timed out after ${timeoutMs} ms; check that the Podman service at ${this.socketPath} is responsive`,
        });
      }
      const code = (err as { code?: string }).code ?? (err as Error).message;
      throw new PodmanError(call, 0, `cannot reach the Podman socket (${code})`, {
        cause: err,
        message: `podman ${call} failed: cannot reach the Podman socket at ${this.socketPath} (${code}); start it with 'podman system service --time=0 unix://${this.socketPath}' or let the daemon start its own`,
      });
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

function callName(method: string, path: string): string {
  return `${method} ${path}`;
}

function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function encodeBody(body: unknown): { body: string | Buffer | undefined; contentType: string | undefined } {
  if (body === undefined) return { body: undefined, contentType: undefined };
  // Podman parses form bodies as query parameters and then sees an empty body, so every body
  // must carry an explicit non-form content type.
  if (Buffer.isBuffer(body)) return { body, contentType: 'application/octet-stream' };
  return { body: JSON.stringify(body), contentType: 'application/json' };
}
