import {
  errorDataFor,
  RpcErrorCode,
  type AppHealth,
  type AppStatus,
  type CatalogEntry,
  type GuardConfirmation,
  type LogLine,
  type RpcErrorCodeValue,
  type RpcErrorData,
  type RpcMethods,
  type WebAuthError,
  type WebAuthSession,
  type WebAuthStatus,
} from '@archipelago/core/contract';
import { SessionToken } from './session-token';

// The daemon's API as the browser sees it: JSON-RPC at /rpc/v1 with the session's CSRF token, and
// the login endpoints under /auth. Request and result types come from core's contract.ts. The
// token comes only from login/setup and is kept in sessionStorage (session-token.ts).

export type MethodName = keyof RpcMethods;
export type Params<M extends MethodName> = RpcMethods[M]['params'];
export type Result<M extends MethodName> = RpcMethods[M]['result'];

/** Not a JSON-RPC code: the node could not be reached at all. */
export const NETWORK_ERROR = -1;

/** A refusal from the daemon, with its own words (they say what to do next). */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  /** The error's `data` as the contract types it for `code`; undefined when it has another code. */
  dataFor<C extends RpcErrorCodeValue>(code: C): RpcErrorData<C> | undefined {
    return errorDataFor(this, code);
  }

  get methodNotFound(): boolean {
    return this.code === RpcErrorCode.MethodNotFound;
  }

  get unauthorized(): boolean {
    return this.code === RpcErrorCode.Unauthorized || this.httpStatus === 401;
  }
}

/** The message to show for anything a call threw. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

interface JsonRpcReply {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface ContainerClientOptions {
  /** Origin the UI was served from; '' means the page's own. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Where the CSRF token is kept (default: sessionStorage, shared with open tabs on request). */
  session?: SessionToken;
}

export class ContainerClient {
  readonly session: SessionToken;
  /** Called when the daemon says the session is gone (expired, logged out elsewhere). */
  onUnauthorized: (() => void) | undefined;
  private nextId = 1;
  private readonly baseUrl: string;
  private readonly fetchImpl: (input: string, init?: RequestInit) => Promise<Response>;

  constructor(options: ContainerClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    this.session = options.session ?? new SessionToken();
    // Looked up per call, so tests can stub globalThis.fetch after the client exists.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  get csrfToken(): string | undefined {
    return this.session.get();
  }

  set csrfToken(token: string | undefined) {
    this.session.set(token);
  }

  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    const id = this.nextId++;
    const response = await this.send('/rpc/v1', {
      method: 'POST',
      headers,
      credentials: 'same-origin',
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    });
    const body = (await response.json().catch(() => undefined)) as JsonRpcReply | undefined;
    if (body?.error) {
      const error = new RpcError(body.error.code, body.error.message, body.error.data, response.status);
      if (error.unauthorized) this.onUnauthorized?.();
      throw error;
    }
    if (!response.ok || !body || !('result' in body)) {
      throw new RpcError(
        RpcErrorCode.InternalError,
        `the node answered HTTP ${response.status} to ${method}; see the daemon log`,
        undefined,
        response.status,
      );
    }
    return body.result as Result<M>;
  }

  // ---- the web login -------------------------------------------------------------------------

  /**
   * Whether a password is set and whether this page holds a live session: the token from this
   * tab's sessionStorage, or handed over by another open tab. The daemon never sends the token
   * here; it only says whether the one we present is good.
   */
  async authStatus(): Promise<WebAuthStatus> {
    const token = await this.session.borrow();
    const status = await this.auth<WebAuthStatus>('GET', '/auth/status');
    if (token && !status.authenticated) this.session.set(undefined);
    return status;
  }

  /** First run: the password, and the setup code the daemon printed (`archy web setup-code`). */
  async setup(password: string, setupCode: string): Promise<WebAuthSession> {
    return this.startSession(await this.auth<WebAuthSession>('POST', '/auth/setup', { password, setupCode }));
  }

  async login(password: string): Promise<WebAuthSession> {
    return this.startSession(await this.auth<WebAuthSession>('POST', '/auth/login', { password }));
  }

  async logout(): Promise<void> {
    try {
      await this.auth('POST', '/auth/logout');
    } finally {
      this.session.end();
    }
  }

  // ---- typed shorthands ----------------------------------------------------------------------

  list(): Promise<AppStatus[]> {
    return this.call('container-list', {});
  }
  status(id: string): Promise<AppStatus> {
    return this.call('container-status', { id });
  }
  health(id: string): Promise<AppHealth> {
    return this.call('container-health', { id });
  }
  /** `service`: one service's lines, on an app of several. */
  logs(id: string, tail: number, service?: string): Promise<LogLine[]> {
    return this.call('container-logs', { id, tail, ...(service !== undefined && { service }) });
  }
  /** The app's kept lines up to `until` (included) across its containers, the last `tail` of them. */
  keptLogs(id: string, until: string, tail: number, service?: string): Promise<LogLine[]> {
    return this.call('container-logs', { id, until, tail, ...(service !== undefined && { service }) });
  }
  async catalog(): Promise<CatalogEntry[]> {
    return (await this.call('catalog-list', {})).apps;
  }
  /** A bundled app at a catalog version (default: the catalog's), with a Bitcoin node's chain and pruning. */
  install(id: string, options: Omit<Params<'package.install'>, 'id'> = {}): Promise<AppStatus> {
    return this.call('package.install', { id, ...options });
  }
  sbom(id: string): Promise<Result<'package.sbom'>> {
    return this.call('package.sbom', { id });
  }
  /** `confirm`: what a Bitcoin node's version guard asked for, when it refused the start before. */
  start(id: string, confirm: GuardConfirmation = {}): Promise<AppStatus> {
    return this.call('container-start', { id, ...confirm });
  }
  stop(id: string): Promise<AppStatus> {
    return this.call('container-stop', { id });
  }
  restart(id: string, confirm: GuardConfirmation = {}): Promise<AppStatus> {
    return this.call('container-restart', { id, ...confirm });
  }
  remove(id: string, purge: boolean): Promise<{ id: string; purged: boolean }> {
    return this.call('container-remove', { id, purge });
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private startSession(session: WebAuthSession): WebAuthSession {
    this.session.start(session.csrfToken);
    return session;
  }

  private async auth<T>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    const headers: Record<string, string> = {};
    if (body) headers['content-type'] = 'application/json';
    // On GET /auth/status too: the daemon says "authenticated" only to a request that has it.
    if (this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    const response = await this.send(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body && { body: JSON.stringify(body) }),
    });
    const parsed = (await response.json().catch(() => undefined)) as (T & Partial<WebAuthError>) | undefined;
    if (!response.ok) {
      const retry = parsed?.retryAfterSeconds;
      const message = parsed?.error ?? `the node answered HTTP ${response.status}`;
      throw new RpcError(
        response.status === 401 ? RpcErrorCode.Unauthorized : RpcErrorCode.InvalidRequest,
        retry ? `${message} (try again in ${retry} s)` : message,
        parsed,
        response.status,
      );
    }
    return parsed as T;
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}`, init);
    } catch (error) {
      throw new RpcError(
        NETWORK_ERROR,
        `cannot reach the node (${errorMessage(error)}); check that archipelagod is running`,
      );
    }
  }
}

/** The one client the app uses. */
export const client = new ContainerClient();
