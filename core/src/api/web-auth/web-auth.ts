import type { IncomingHttpHeaders } from 'node:http';
import type { WebAuthStatus } from '../contract.js';
import { tokensMatch, type RequestAuthCheck } from '../auth.js';
import { readCookie, SESSION_COOKIE_NAME } from './cookie-header.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { readPasswordRecord, webAuthFilePath, writePasswordRecord } from './password-file.js';
import {
  hashPassword,
  SCRYPT_DEFAULTS,
  verifyPassword,
  type PasswordRecord,
  type ScryptParams,
} from './password-hash.js';
import { MAX_PASSWORD_LENGTH, passwordProblem } from './password-rules.js';
import { isTrustedHost, isWebSocketUpgrade, requestSite } from './request-origin.js';
import { SessionStore, type NewSession, type Session, type SessionTimeouts } from './session-store.js';

export const CSRF_HEADER = 'x-csrf-token';

export interface WebAuthOptions {
  /** The password hash lives in DATA_DIR/web-auth.json. */
  dataDir: string;
  /** The clock for session expiry and the login throttle's window; tests move it. */
  now?: () => number;
  sessionTimeouts?: Partial<SessionTimeouts>;
  throttle?: Omit<LoginThrottleOptions, 'now'>;
  scrypt?: ScryptParams;
  /** Host names besides IPs, localhost, *.local and *.onion under which the web UI is served. */
  trustedHostnames?: readonly string[];
}

/** A request the web login refuses, with the HTTP status to answer and words a user can act on. */
export class WebAuthRefusal extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'WebAuthRefusal';
  }
}

export type ApiRequestVerdict = { ok: true } | { ok: false; statusCode: 401 | 403; message: string };

const SESSION_ENDED = 'your web session has expired or was ended: log in again';

/**
 * The web UI's password login: first-run setup, login/logout, password change, and the session
 * check the API applies to browser requests. The CLI's bearer token (auth.ts) is separate and
 * keeps working whatever happens here.
 */
export class WebAuth {
  readonly #path: string;
  readonly #sessions: SessionStore;
  readonly #throttle: LoginThrottle;
  readonly #scrypt: ScryptParams;
  readonly #trustedHostnames: readonly string[];
  #record: PasswordRecord | undefined;
  /** Setup and password changes run one at a time, so two first-run setups can't both win. */
  #passwordWrites: Promise<unknown> = Promise.resolve();

  private constructor(options: WebAuthOptions, record: PasswordRecord | undefined) {
    const now = options.now ?? Date.now;
    this.#path = webAuthFilePath(options.dataDir);
    this.#sessions = new SessionStore({
      now,
      ...(options.sessionTimeouts ? { timeouts: options.sessionTimeouts } : {}),
    });
    this.#throttle = new LoginThrottle({ ...options.throttle, now });
    this.#scrypt = options.scrypt ?? SCRYPT_DEFAULTS;
    this.#trustedHostnames = options.trustedHostnames ?? [];
    this.#record = record;
  }

  /** Reads DATA_DIR/web-auth.json (absent until the first-run setup) and starts with no sessions. */
  static async open(options: WebAuthOptions): Promise<WebAuth> {
    return new WebAuth(options, await readPasswordRecord(webAuthFilePath(options.dataDir)));
  }

  get passwordSet(): boolean {
    return this.#record !== undefined;
  }

  /** Max-Age for the session cookie: the browser may drop it when the server would anyway. */
  get sessionMaxAgeSeconds(): number {
    return Math.floor(this.#sessions.absoluteTtlMs / 1000);
  }

  /** The live session named by the request's cookie, if any. Does not count as activity. */
  sessionFor(headers: IncomingHttpHeaders): Session | undefined {
    return this.#sessions.find(readCookie(headers, SESSION_COOKIE_NAME));
  }

  status(headers: IncomingHttpHeaders): WebAuthStatus {
    const session = this.sessionFor(headers);
    return session
      ? { passwordSet: this.passwordSet, authenticated: true, csrfToken: session.csrfToken }
      : { passwordSet: this.passwordSet, authenticated: false };
  }

  /** First run only: sets the admin password and logs the caller in. */
  async setup(password: string): Promise<NewSession> {
    if (this.#record) throw alreadySetUp();
    const problem = passwordProblem(password);
    if (problem) throw new WebAuthRefusal(400, problem);
    return this.#exclusively(async () => {
      // Checked again inside the lock: another setup may have finished while this one waited.
      if (this.#record) throw alreadySetUp();
      await this.#storePassword(password);
      return this.#sessions.create();
    });
  }

  async login(password: string, clientKey: string): Promise<NewSession> {
    const record = this.#record;
    if (!record) {
      throw new WebAuthRefusal(409, 'no web password is set yet: choose one first (POST /auth/setup)');
    }
    await this.#checkPassword(password, record, clientKey, 'wrong password');
    return this.#sessions.create();
  }

  logout(session: Session): void {
    this.#sessions.destroy(session);
  }

  /** Changes the password and ends every other session; `session` (the caller's) stays. */
  async changePassword(session: Session, current: string, next: string, clientKey: string): Promise<void> {
    const record = this.#record;
    if (!record)
      throw new WebAuthRefusal(409, 'no web password is set yet: choose one first (POST /auth/setup)');
    const problem = passwordProblem(next);
    if (problem) throw new WebAuthRefusal(400, `the new password is not accepted: ${problem}`);
    // Throttled like a login: a borrowed session must not become a way to guess the password.
    await this.#checkPassword(current, record, clientKey, 'the current password is wrong');
    await this.#exclusively(async () => {
      if (this.#record !== record) {
        throw new WebAuthRefusal(409, 'the password was changed meanwhile: log in again with the new one');
      }
      await this.#storePassword(next);
      this.#sessions.destroyAllExcept(session);
    });
  }

  /**
   * Whether an API request (POST /rpc/v1, GET /ws) may go ahead on the strength of a session cookie.
   * Undefined when it carries none — then the session has nothing to say about it. A cookie alone
   * is not enough, because the browser sends it whoever started the request: a call must also
   * carry the session's CSRF token (which only our own page can read), and a WebSocket — which
   * cannot carry custom headers and which CORS never guards — must come from our own origin.
   */
  checkApiRequest(headers: IncomingHttpHeaders): ApiRequestVerdict | undefined {
    const token = readCookie(headers, SESSION_COOKIE_NAME);
    if (token === undefined) return undefined;
    const session = this.#sessions.find(token);
    if (!session) return { ok: false, statusCode: 401, message: SESSION_ENDED };
    if (!isTrustedHost(headers.host, this.#trustedHostnames))
      return { ok: false, statusCode: 403, message: untrustedHostMessage(headers.host) };
    const site = requestSite(headers);
    if (isWebSocketUpgrade(headers)) {
      if (site !== 'same-origin') {
        return {
          ok: false,
          statusCode: 403,
          message:
            "forbidden: a WebSocket on a web session must be opened by the node's own page (its Origin must match the Host)",
        };
      }
    } else {
      if (site === 'foreign') {
        return {
          ok: false,
          statusCode: 403,
          message: "forbidden: cross-site requests are refused; call the API from the node's own page",
        };
      }
      if (!this.csrfMatches(session, headers)) {
        return {
          ok: false,
          statusCode: 403,
          message: `forbidden: send the session's CSRF token (from POST /auth/login or GET /auth/status) in the ${CSRF_HEADER} header`,
        };
      }
    }
    this.#sessions.touch(session);
    return { ok: true };
  }

  /** For createApiServer's auth checks: accepts a request that checkApiRequest lets through. */
  readonly apiRequestCheck: RequestAuthCheck = (request) =>
    this.checkApiRequest(request.headers)?.ok === true;

  csrfMatches(session: Session, headers: IncomingHttpHeaders): boolean {
    const presented = headers[CSRF_HEADER];
    return tokensMatch(session.csrfToken, Array.isArray(presented) ? undefined : presented);
  }

  isTrustedHost(host: string | undefined): boolean {
    return isTrustedHost(host, this.#trustedHostnames);
  }

  async #checkPassword(
    password: string,
    record: PasswordRecord,
    clientKey: string,
    wrongMessage: string,
  ): Promise<void> {
    // Hashing a megabyte would only cost us; no real password is that long.
    const checkable = password.length <= MAX_PASSWORD_LENGTH * 4;
    const result = await this.#throttle.attempt(
      clientKey,
      async () => checkable && verifyPassword(password, record),
    );
    if (result.outcome === 'refused') throw new WebAuthRefusal(429, result.reason, result.retryAfterSeconds);
    if (result.outcome === 'failure') throw new WebAuthRefusal(401, wrongMessage);
  }

  async #storePassword(password: string): Promise<void> {
    const record = await hashPassword(password, this.#scrypt);
    await writePasswordRecord(this.#path, record);
    this.#record = record;
  }

  #exclusively<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#passwordWrites.then(work);
    this.#passwordWrites = run.catch(() => undefined);
    return run;
  }
}

function alreadySetUp(): WebAuthRefusal {
  return new WebAuthRefusal(
    409,
    'the web password is already set: log in with it, or change it from a logged-in session',
  );
}

export function untrustedHostMessage(host: string | undefined): string {
  const name = (host ?? '').slice(0, 100);
  return `forbidden: the web login answers only under the node's IP address, localhost, or a .local or .onion name, not '${name}' (this stops other websites from re-pointing their names at the node); open the UI by one of those`;
}
