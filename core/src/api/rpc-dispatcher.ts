import { randomBytes } from 'node:crypto';
import { ZodError } from 'zod';
import { RpcErrorCode } from './contract.js';
import { ArchyError } from '../kernel/index.js';
import { nearestName } from './nearest-name.js';

// JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over a table of methods. No HTTP in here:
// the server hands over the request body, so every rule below is unit-testable.

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: JsonRpcId; result: unknown }
  | { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcErrorObject };

/** One callable method: validates its raw params (throwing ZodError) and runs. */
export interface RpcMethod {
  invoke(params: unknown): Promise<unknown>;
}

/** The slice of a pino logger the dispatcher uses. */
export interface RpcLogger {
  error(details: object, message: string): void;
  debug(details: object, message: string): void;
}

/** A batch is bounded so one request body cannot queue unbounded work. */
export const MAX_BATCH_SIZE = 100;

/** One finished call, as an observer (the audit log) sees it. */
export interface RpcCallRecord {
  method: string;
  params: unknown;
  outcome: { ok: true; result: unknown } | { ok: false; code: number; message: string };
}

/** Told about every call to an existing method, with the caller's context (who asked). */
export type RpcObserver = (call: RpcCallRecord, context: unknown) => Promise<void> | void;

export class RpcDispatcher {
  private readonly methodNames: string[];

  constructor(
    private readonly methods: Readonly<Record<string, RpcMethod>>,
    private readonly logger: RpcLogger,
    private readonly observer?: RpcObserver,
  ) {
    this.methodNames = Object.keys(methods).sort();
  }

  /**
   * Handles a raw request body. Returns the response to send, or undefined when there is
   * nothing to send (a notification, or a batch of only notifications).
   */
  async dispatchText(
    body: string,
    context?: unknown,
  ): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return failure(
        null,
        RpcErrorCode.ParseError,
        `parse error: the request body is not valid JSON (${reason})`,
      );
    }
    return this.dispatch(message, context);
  }

  /** Handles an already-parsed JSON-RPC message: one request or a batch. */
  async dispatch(
    message: unknown,
    context?: unknown,
  ): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    if (!Array.isArray(message)) return this.dispatchOne(message, context);
    if (message.length === 0) {
      return failure(
        null,
        RpcErrorCode.InvalidRequest,
        'invalid request: a batch must hold at least one request',
      );
    }
    if (message.length > MAX_BATCH_SIZE) {
      return failure(
        null,
        RpcErrorCode.InvalidRequest,
        `invalid request: a batch of ${message.length} requests is over the limit of ${MAX_BATCH_SIZE}; split it`,
      );
    }
    // In order, one after another: a batch like [stop, start] must mean what it says.
    const responses: JsonRpcResponse[] = [];
    for (const request of message) {
      const response = await this.dispatchOne(request, context);
      if (response) responses.push(response);
    }
    return responses.length > 0 ? responses : undefined;
  }

  private async dispatchOne(request: unknown, context: unknown): Promise<JsonRpcResponse | undefined> {
    const checked = checkRequestShape(request);
    if ('invalid' in checked) return failure(checked.id, RpcErrorCode.InvalidRequest, checked.invalid);
    const { id, method: name, params, isNotification } = checked;

    const response = await this.invoke(id, name, params);
    if (this.observer && Object.hasOwn(this.methods, name)) {
      const outcome: RpcCallRecord['outcome'] =
        'error' in response
          ? { ok: false, code: response.error.code, message: response.error.message }
          : { ok: true, result: response.result };
      try {
        await this.observer({ method: name, params, outcome }, context);
      } catch (error) {
        this.logger.error({ err: error, method: name }, 'rpc observer failed');
      }
    }
    return isNotification ? undefined : response;
  }

  private async invoke(id: JsonRpcId, name: string, params: unknown): Promise<JsonRpcResponse> {
    const method = Object.hasOwn(this.methods, name) ? this.methods[name] : undefined;
    if (!method) return failure(id, RpcErrorCode.MethodNotFound, this.methodNotFoundMessage(name));
    if (Array.isArray(params)) {
      return failure(
        id,
        RpcErrorCode.InvalidParams,
        `invalid params for ${name}: pass params by name, as an object`,
      );
    }
    try {
      const result = await method.invoke(params ?? {});
      this.logger.debug({ method: name }, 'rpc call succeeded');
      // JSON-RPC requires a `result` member; a method with nothing to say answers null.
      return { jsonrpc: '2.0', id, result: result ?? null };
    } catch (error) {
      return this.errorResponse(id, name, error);
    }
  }

  private errorResponse(id: JsonRpcId, method: string, error: unknown): JsonRpcResponse {
    if (error instanceof ZodError) {
      return failure(
        id,
        RpcErrorCode.InvalidParams,
        `invalid params for ${method}: ${describeIssues(error)}`,
        {
          issues: error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
        },
      );
    }
    if (error instanceof ArchyError) {
      this.logger.debug({ method, code: error.code, reason: error.message }, 'rpc call refused');
      return failure(id, error.code, error.message, error.data);
    }
    // A bug or an unexpected failure: the caller gets a reference, the log gets everything. The
    // message may hold paths, container internals or secrets, so it stays out of the response.
    const ref = randomBytes(4).toString('hex');
    this.logger.error({ err: error, method, ref }, 'rpc method failed unexpectedly');
    return failure(
      id,
      RpcErrorCode.InternalError,
      `internal error: ${method} failed unexpectedly (ref ${ref}); see the daemon log`,
    );
  }

  private methodNotFoundMessage(name: string): string {
    const suggestion = nearestName(name, this.methodNames);
    const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
    return suggestion
      ? `method not found: ${shown}; did you mean '${suggestion}'?`
      : `method not found: ${shown}; the methods are: ${this.methodNames.join(', ')}`;
  }
}

type CheckedRequest =
  | { id: JsonRpcId; method: string; params: unknown; isNotification: boolean }
  | { id: JsonRpcId; invalid: string };

function checkRequestShape(request: unknown): CheckedRequest {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return { id: null, invalid: 'invalid request: expected a JSON-RPC request object' };
  }
  const fields = request as Record<string, unknown>;
  const hasId = Object.hasOwn(fields, 'id');
  const rawId = fields.id;
  const idIsValid = !hasId || rawId === null || typeof rawId === 'string' || typeof rawId === 'number';
  if (!idIsValid) return { id: null, invalid: "invalid request: 'id' must be a string, a number or null" };
  const id: JsonRpcId = hasId ? (rawId as JsonRpcId) : null;

  if (fields.jsonrpc !== '2.0') return { id, invalid: 'invalid request: \'jsonrpc\' must be "2.0"' };
  if (typeof fields.method !== 'string') return { id, invalid: "invalid request: 'method' must be a string" };
  const params = fields.params;
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    return { id, invalid: "invalid request: 'params' must be an object when present" };
  }
  return { id, method: fields.method, params, isNotification: !hasId };
}

function failure(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcResponse {
  const error: JsonRpcErrorObject = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id, error };
}

/** One line naming each bad param and what was expected, e.g. `tail: expected at most 10000 lines`. */
export function describeIssues(error: ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((key) => `'${key}'`).join(', ');
        const where = issue.path.length > 0 ? ` in ${formatPath(issue.path)}` : '';
        return `unknown param${issue.keys.length > 1 ? 's' : ''} ${keys}${where}`;
      }
      return issue.path.length > 0 ? `${formatPath(issue.path)}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`,
    )
    .join('');
}
