import { RpcErrorCode, type RpcErrorCodeValue } from '../api/contract.js';

/**
 * An error meant for the user: `message` says what is wrong and what to do next, `code` is the
 * stable JSON-RPC code clients switch on. Anything that is not an ArchyError reaching the API is
 * a bug and is reported as an internal error.
 */
export class ArchyError extends Error {
  readonly code: RpcErrorCodeValue;
  readonly data: unknown;

  constructor(code: RpcErrorCodeValue, message: string, options: { cause?: unknown; data?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ArchyError';
    this.code = code;
    this.data = options.data;
  }
}

export const notFound = (id: string): ArchyError =>
  new ArchyError(RpcErrorCode.NotFound, `app '${id}' is not installed; see installed apps with: archy list`);
