import type { IncomingHttpHeaders } from 'node:http';
import type { WebAuthStatus } from '../contract.js';
import { tokensMatch } from '../auth.js';
import { readCookie, sessionCookieName } from './cookie-header.js';
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
import {
  isNodeOnionHost,
  isTrustedHost,
  isWebSocketUpgrade,
  namesNodeOnion,
  requestSite,
} from './request-origin.js';
import { ONION_CLIENT_KEY } from './via-onion.js';
import { SessionStore, type NewSession, type Session, type SessionTimeouts } from './session-store.js';
import {
  generateSetupCode,
  normalizeSetupCode,
  readSetupCode,
  removeSetupCode,
  setupCodeFilePath,
  writeSetupCode,
} from './setup-code.js';

export const CSRF_HEADER = 'x-csrf-token';
/**
 * A browser's WebSocket can't carry custom headers; the one it lets a page set is the list of
 * subprotocols. Our page offers `archy` (the one the server picks, so the token is never echoed)
 * and `archy-csrf.<token>`.
 */
export const WS_PROTOCOL = 'archy';
export const WS_CSRF_PROTOCOL_PREFIX = 'archy-csrf.';

/** What the web login needs to know of a request. */
export interface WebRequest {
  headers: IncomingHttpHeaders;
  /** Came over TLS (directly, or via a trusted proxy's X-Forwarded-Proto): `__Host-` cookie. */
  secure: boolean;
  /** Came over the node's onion service (the unix socket Tor forwards to), not the TCP listener. */
  viaOnion: boolean;
}

/** How a first-run setup proves it is the node's owner. */
export interface SetupProof {
  /** The code the daemon printed and wrote to DATA_DIR/web-setup-code. */
  setupCode?: string;
  /** The request also carried the CLI's bearer token. */
  bearer: boolean;
}

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
  /**
   * The node's own onion name (`<56 chars>.onion`) while remote access has one: the only Host the
   * onion listener answers, and one the TCP listener refuses.
   */
  onionHostname?: () => string | undefined;
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
  readonly #dataDir: string;
  readonly #path: string;
  readonly #sessions: SessionStore;
  readonly #throttle: LoginThrottle;
  readonly #scrypt: ScryptParams;
  readonly #trustedHostnames: readonly string[];
  readonly #onionHostname: () => string | undefined;
  #record: PasswordRecord | undefined;
  /** While no password is set and issueSetupCode ran: the code a setup must present. */
  #setupCode: string | undefined;
  /** Setup and password changes run one at a time, so two first-run setups can't both win. */
  #passwordWrites: Promise<unknown> = Promise.resolve();

  private constructor(options: WebAuthOptions, record: PasswordRecord | undefined) {
    const now = options.now ?? Date.now;
    this.#dataDir = options.dataDir;
    this.#path = webAuthFilePath(options.dataDir);
    this.#sessions = new SessionStore({
      now,
      ...(options.sessionTimeouts ? { timeouts: options.sessionTimeouts } : {}),
    });
    // The onion bucket holds back every guess over Tor: it must never be forgotten to make room.
    this.#throttle = new LoginThrottle({ ...options.throttle, keptClients: [ONION_CLIENT_KEY], now });
    this.#scrypt = options.scrypt ?? SCRYPT_DEFAULTS;
    this.#trustedHostnames = options.trustedHostnames ?? [];
    this.#onionHostname = options.onionHostname ?? (() => undefined);
    this.#record = record;
  }

  /** Reads DATA_DIR/web-auth.json (absent until the first-run setup) and starts with no sessions. */
  static async open(options: WebAuthOptions): Promise<WebAuth> {
    return new WebAuth(options, await readPasswordRecord(webAuthFilePath(options.dataDir)));
  }

  get passwordSet(): boolean {
    return this.#record !== undefined;
  }

  /** Where the setup code is kept while no password is set. */
  get setupCodeFile(): string {
    return setupCodeFilePath(this.#dataDir);
  }

  /**
   * At daemon start: while no password is set, the setup code (the stored one, else a new one,
   * written 0600) for the daemon to print; once one is set, removes any leftover code file.
   */
  async issueSetupCode(): Promise<string | undefined> {
    if (this.#record) {
      await removeSetupCode(this.#dataDir);
      this.#setupCode = undefined;
      return undefined;
    }
    const code = (await readSetupCode(this.#dataDir)) ?? generateSetupCode();
    // Written again even when read: that also resets a loosened mode to 0600.
    await writeSetupCode(this.#dataDir, code);
    this.#setupCode = code;
    return code;
  }

  /** The current setup code, for the bearer-only `web.setup-code` method. */
  get setupCode(): string | undefined {
    return this.#record ? undefined : this.#setupCode;
  }

  /** Max-Age for the session cookie: the browser may drop it when the server would anyway. */
  get sessionMaxAgeSeconds(): number {
    return Math.floor(this.#sessions.absoluteTtlMs / 1000);
  }

  /**
   * The live session named by the request's cookie, if any and if it was created under this Host.
   * Does not count as activity, and proves nothing by itself: see hasSessionToken.
   */
  sessionFor(request: WebRequest): Session | undefined {
    const session = this.#sessions.find(readCookie(request.headers, sessionCookieName(request.secure)));
    return session && session.host === hostOf(request.headers) ? session : undefined;
  }

  /**
   * Never the CSRF token: the browser sends the cookie to the apps on the node's other ports too,
   * and an app that replays it here must learn nothing it could call the API with. `authenticated`
   * is true only when the request also carries the session's CSRF token (a reloaded page that
   * kept it in sessionStorage).
   */
  status(request: WebRequest): WebAuthStatus {
    const session = this.sessionFor(request);
    return {
      passwordSet: this.passwordSet,
      authenticated: session !== undefined && this.csrfMatches(session, request.headers),
    };
  }

  /** First run only: sets the admin password and logs the caller in, given the setup code or the bearer token. */
  async setup(password: string, proof: SetupProof, host: string, clientKey: string): Promise<NewSession> {
    if (this.#record) throw alreadySetUp();
    const problem = passwordProblem(password);
    if (problem) throw new WebAuthRefusal(400, problem);
    if (!proof.bearer) await this.#checkSetupCode(proof.setupCode, clientKey);
    return this.#exclusively(async () => {
      // Checked again inside the lock: another setup may have finished while this one waited.
      if (this.#record) throw alreadySetUp();
      await this.#storePassword(password);
      return this.#sessions.create(host);
    });
  }

  async login(password: string, clientKey: string, host: string): Promise<NewSession> {
    const record = this.#record;
    if (!record) {
      throw new WebAuthRefusal(409, 'no web password is set yet: choose one first (POST /auth/setup)');
    }
    await this.#checkPassword(password, record, clientKey, 'wrong password');
    return this.#sessions.create(host);
  }

  /** Whether the session is still on (see SessionStore.isLive): an open /ws asks before each message. */
  isLive(session: Session): boolean {
    return this.#sessions.isLive(session);
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
   * Sets or resets the password without knowing the old one: for `archy web password`, whose
   * bearer token already proves control of the node. Ends every web session (a reset is what one
   * does when a browser or the password may be in the wrong hands) and uses up the setup code.
   */
  async setPassword(password: string): Promise<{ sessionsEnded: number }> {
    const problem = passwordProblem(password);
    if (problem) throw new WebAuthRefusal(400, problem);
    return this.#exclusively(async () => {
      await this.#storePassword(password);
      const sessionsEnded = this.#sessions.size;
      this.#sessions.destroyAllExcept(undefined);
      return { sessionsEnded };
    });
  }

  /**
   * Whether an API request (POST /rpc/v1, GET /ws) may go ahead on the strength of a session cookie.
   * Undefined when it carries none — then the session has nothing to say about it. A cookie alone
   * is never enough: the browser sends it to every port of the node's host, so the apps there
   * receive it too. A call must also carry the session's CSRF token — in X-CSRF-Token, or for a
   * WebSocket (which can't carry custom headers) as a subprotocol — which only our own page holds,
   * under the Host the session was created on; a browser's Origin must be our own as well.
   */
  checkApiRequest(request: WebRequest): ApiRequestVerdict | undefined {
    const { headers } = request;
    const token = readCookie(headers, sessionCookieName(request.secure));
    if (token === undefined) return undefined;
    const session = this.#sessions.find(token);
    if (!session) return { ok: false, statusCode: 401, message: SESSION_ENDED };
    if (!this.isTrustedHost(headers.host, request.viaOnion))
      return { ok: false, statusCode: 403, message: untrustedHostMessage(headers.host, request.viaOnion) };
    if (session.host !== hostOf(headers)) {
      return {
        ok: false,
        statusCode: 403,
        message:
          'forbidden: this web session was started under another address of the node; log in again under the one you use now',
      };
    }
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
    } else if (site === 'foreign') {
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
        message: `forbidden: a session cookie alone is not enough; send the CSRF token from POST /auth/login (or /auth/setup) in the ${CSRF_HEADER} header (for /ws: as the subprotocol ${WS_CSRF_PROTOCOL_PREFIX}<token>)`,
      };
    }
    this.#sessions.touch(session);
    return { ok: true };
  }

  /** The session's CSRF token presented: X-CSRF-Token, or for a WebSocket upgrade its subprotocol. */
  csrfMatches(session: Session, headers: IncomingHttpHeaders): boolean {
    return tokensMatch(session.csrfToken, presentedCsrfToken(headers));
  }

  /**
   * Over the onion listener only the node's own onion name; over TCP the usual names, but not
   * that one (no honest browser reaches the LAN port under it).
   */
  isTrustedHost(host: string | undefined, viaOnion = false): boolean {
    const onion = this.#onionHostname();
    if (viaOnion) return isNodeOnionHost(host, onion);
    if (namesNodeOnion(host, onion)) return false;
    return isTrustedHost(host, this.#trustedHostnames);
  }

  async #checkSetupCode(presented: string | undefined, clientKey: string): Promise<void> {
    const expected = this.#setupCode;
    if (expected === undefined || presented === undefined || presented.trim() === '') {
      throw new WebAuthRefusal(
        403,
        `first-run setup needs the setup code: the daemon printed it in its log when it started, and \`archy web setup-code\` shows it (it is in ${this.setupCodeFile}); or set the password from the CLI with \`archy web password\``,
      );
    }
    // Throttled like a password: the code is long, but guessing it must cost time all the same.
    const result = await this.#throttle.attempt(clientKey, async () =>
      tokensMatch(normalizeSetupCode(expected), normalizeSetupCode(presented.slice(0, 256))),
    );
    if (result.outcome === 'refused') throw new WebAuthRefusal(429, result.reason, result.retryAfterSeconds);
    if (result.outcome === 'failure') {
      throw new WebAuthRefusal(
        401,
        'wrong setup code: copy it from the daemon log or from `archy web setup-code`',
      );
    }
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
    // A password exists now: the setup code has done its job and must never work again.
    this.#setupCode = undefined;
    await removeSetupCode(this.#dataDir);
  }

  #exclusively<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#passwordWrites.then(work);
    this.#passwordWrites = run.catch(() => undefined);
    return run;
  }
}

/** The Host header as sessions are bound to it. */
export function hostOf(headers: IncomingHttpHeaders): string {
  return (headers.host ?? '').toLowerCase();
}

function presentedCsrfToken(headers: IncomingHttpHeaders): string | undefined {
  if (isWebSocketUpgrade(headers)) {
    const offered = headers['sec-websocket-protocol'];
    if (typeof offered !== 'string') return undefined;
    const tokens = offered
      .split(',')
      .map((protocol) => protocol.trim())
      .filter((protocol) => protocol.startsWith(WS_CSRF_PROTOCOL_PREFIX))
      .map((protocol) => protocol.slice(WS_CSRF_PROTOCOL_PREFIX.length));
    return tokens.length === 1 ? tokens[0] : undefined;
  }
  const presented = headers[CSRF_HEADER];
  return Array.isArray(presented) ? undefined : presented;
}

function alreadySetUp(): WebAuthRefusal {
  return new WebAuthRefusal(
    409,
    'the web password is already set: log in with it, or change it from a logged-in session',
  );
}

export function untrustedHostMessage(host: string | undefined, viaOnion = false): string {
  const name = (host ?? '').slice(0, 100);
  if (viaOnion) {
    return `forbidden: over Tor the web login answers only under the node's own onion address, not '${name}'; open the URL \`archy web remote-access show\` prints`;
  }
  return `forbidden: the web login answers only under the node's IP address, localhost, or a .local or .onion name, not '${name}' (this stops other websites from re-pointing their names at the node); open the UI by one of those`;
}
