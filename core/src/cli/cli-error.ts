/**
 * A failure the CLI reports and exits 1 on. `message` is printed as `archy: <message>`, unless
 * `preformatted` (e.g. manifest issues already as `file:line:col: ...` lines).
 */
export class CliError extends Error {
  /** The JSON-RPC error code when the daemon refused the call. */
  readonly rpcCode: number | undefined;
  readonly preformatted: boolean;

  constructor(message: string, options: { rpcCode?: number; preformatted?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'CliError';
    this.rpcCode = options.rpcCode;
    this.preformatted = options.preformatted ?? false;
  }
}

/** What to print on stderr for an error that ended a command. */
export function describeFailure(error: unknown): string {
  if (error instanceof CliError && error.preformatted) return error.message.replace(/\n+$/, '');
  const message = error instanceof Error ? error.message : String(error);
  // One line, as the contract promises: a daemon message never holds newlines, a bug's might.
  return `archy: ${message.split('\n')[0]}`;
}
