/**
 * A failure the CLI reports and exits 1 on. `message` is printed as `archy: <message>`, unless
 * `preformatted` (e.g. manifest issues already as `file:line:col: ...` lines).
 */
export class CliError extends Error {
  /** The JSON-RPC error code when the daemon refused the call. */
  readonly rpcCode: number | undefined;
  readonly preformatted: boolean;
  /** The JSON-RPC error's `data`, when the daemon sent any (e.g. a manifest's issues). */
  readonly data: unknown;

  constructor(
    message: string,
    options: { rpcCode?: number; preformatted?: boolean; cause?: unknown; data?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'CliError';
    this.rpcCode = options.rpcCode;
    this.preformatted = options.preformatted ?? false;
    this.data = options.data;
  }
}

/** What to print on stderr for an error that ended a command. */
export function describeFailure(error: unknown): string {
  if (error instanceof CliError && error.preformatted) return error.message.replace(/\n+$/, '');
  const message = error instanceof Error ? error.message : String(error);
  // One line, as the contract promises: a daemon message never holds newlines, a bug's might.
  return `archy: ${message.split('\n')[0]}`;
}
