import { RpcErrorCode, type RpcErrorCodeValue } from './error-codes.js';
import type { RpcErrorData } from './error-data.js';

/**
 * An error meant for the user: `message` says what is wrong and what to do next, `code` is the
 * stable JSON-RPC code clients switch on, and `data` the facts behind it, typed by code in
 * error-data.ts. Anything that is not an ArchyError reaching the API is a bug and is reported as
 * an internal error.
 */
export class ArchyError<C extends RpcErrorCodeValue = RpcErrorCodeValue> extends Error {
  readonly code: C;
  readonly data: RpcErrorData<C>;

  constructor(code: C, message: string, options: { cause?: unknown; data?: RpcErrorData<C> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ArchyError';
    this.code = code;
    this.data = options.data as RpcErrorData<C>;
  }
}

export const notFound = (id: string): ArchyError =>
  new ArchyError(RpcErrorCode.NotFound, `app '${id}' is not installed; see installed apps with: archy list`);
