import type { LoggerOptions } from 'pino';

export const REDACTED = '[redacted]';

/**
 * Field names whose values are hidden whatever they hold, for secrets the Redactor has not been
 * told about (a password typed into a login form, a bearer token in a header). Matched at the
 * end of the name, so `rpcPassword` and `authToken` are hidden but `secretName` is not.
 */
export const SENSITIVE_KEY =
  /(password|passphrase|passwd|secret|secrets|token|cookie|authorization|macaroon|mnemonic|seed|private_?key|api_?key)$/i;

/**
 * Knows every secret value the daemon holds and blanks them out of strings and objects before
 * they reach a log, an API response or an error message. Values are matched as written and in
 * the escaped forms they take inside JSON and URLs, since that is how logs and errors carry them.
 */
export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a secret value; empty strings are ignored (they would match everywhere). */
  add(value: string): void {
    if (value.length === 0) return;
    const before = this.values.size;
    for (const form of escapedForms(value)) this.values.add(form);
    if (this.values.size !== before) this.pattern = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  redactString(text: string): string {
    const pattern = this.compiled();
    return pattern ? text.replace(pattern, REDACTED) : text;
  }

  /**
   * A deep copy of `value` with secret values replaced in every string, values under sensitive
   * field names hidden, and Errors turned into plain `{ name, message }` objects (their stacks
   * and causes can hold anything).
   */
  redact<T>(value: T): T {
    return this.walk(value, new WeakSet()) as T;
  }

  /** True when `text` holds a registered secret in any of its forms. */
  containsSecret(text: string): boolean {
    const pattern = this.compiled();
    if (!pattern) return false;
    pattern.lastIndex = 0;
    const found = pattern.test(text);
    pattern.lastIndex = 0;
    return found;
  }

  /**
   * Throws when `text` holds a registered secret. The error says where and how many times, never
   * which secret: the check exists to keep the value out of output, including its own.
   */
  assertNoSecrets(text: string, where: string): void {
    const pattern = this.compiled();
    const hits = pattern ? (text.match(pattern) ?? []).length : 0;
    if (hits > 0) throw new Error(`${where} contains ${hits} occurrence(s) of a registered secret value`);
  }

  private compiled(): RegExp | undefined {
    if (this.values.size === 0) return undefined;
    // Longest first, so a secret that contains another is replaced whole.
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join('|'),
      'g',
    );
    return this.pattern;
  }

  private walk(value: unknown, seen: WeakSet<object>): unknown {
    if (typeof value === 'string') return this.redactString(value);
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (value instanceof Error) {
      return { name: value.name, message: this.redactString(value.message) };
    }
    if (Buffer.isBuffer(value)) return this.redactString(value.toString('utf8'));
    if (Array.isArray(value)) return value.map((item) => this.walk(item, seen));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        SENSITIVE_KEY.test(key) && item !== undefined && item !== null ? REDACTED : this.walk(item, seen);
    }
    return out;
  }
}

function escapedForms(value: string): string[] {
  return [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Options to merge into `pino({...})` so the daemon's log can never print a secret: every
 * finished log line passes through the Redactor (whatever field or nested error carried the
 * value), and pino's own path redaction hides credentials the Redactor cannot know in advance.
 */
export function pinoRedaction(redactor: Redactor): Pick<LoggerOptions, 'hooks' | 'redact'> {
  return {
    hooks: { streamWrite: (line: string) => redactor.redactString(line) },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        'password',
        '*.password',
        'params.password',
        'token',
        '*.token',
      ],
      censor: REDACTED,
    },
  };
}
