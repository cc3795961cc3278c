import { createHash, randomBytes } from 'node:crypto';

// Web sessions live in memory only: a daemon restart logs every browser out, and nothing on disk
// can be stolen to ride a session. The map is keyed by sha256(token), so a heap dump or a stray
// log line of the map holds nothing a browser could present.

export interface SessionTimeouts {
  /** A session ends this long after login, however busy. */
  absoluteMs: number;
  /** ...or this long after its last authenticated request. */
  idleMs: number;
}

export const DEFAULT_SESSION_TIMEOUTS: SessionTimeouts = {
  absoluteMs: 12 * 60 * 60 * 1000,
  idleMs: 60 * 60 * 1000,
};

/** Enough for every browser a household uses; the oldest goes first beyond it. */
export const MAX_SESSIONS = 64;

export interface Session {
  /** sha256 of the cookie token, hex: the map key and the only trace of the token we keep. */
  readonly id: string;
  /**
   * Sent back in X-CSRF-Token: proves a request came from our own page. Handed out once, in the
   * answer to login/setup, and never again: a cookie alone (which the browser also sends to the
   * apps on the node's other ports) can't be turned into it.
   */
  readonly csrfToken: string;
  /**
   * The Host (lower case) the session was created under. The cookie goes to every port of that
   * host name, and under another name a request is not our page's: both are refused.
   */
  readonly host: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

export interface NewSession {
  /** The cookie value: handed to the browser once and never stored. */
  token: string;
  session: Session;
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;
  readonly #timeouts: SessionTimeouts;

  constructor(options: { now?: () => number; timeouts?: Partial<SessionTimeouts> } = {}) {
    this.#now = options.now ?? Date.now;
    this.#timeouts = { ...DEFAULT_SESSION_TIMEOUTS, ...options.timeouts };
  }

  get absoluteTtlMs(): number {
    return this.#timeouts.absoluteMs;
  }

  get size(): number {
    return this.#sessions.size;
  }

  create(host: string): NewSession {
    this.#pruneExpired();
    while (this.#sessions.size >= MAX_SESSIONS) {
      // Maps iterate in insertion order: the first key is the oldest login.
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const token = randomBytes(32).toString('base64url');
    const now = this.#now();
    const session: Session = {
      id: sessionId(token),
      csrfToken: randomBytes(32).toString('base64url'),
      host: host.toLowerCase(),
      createdAt: now,
      lastSeenAt: now,
    };
    this.#sessions.set(session.id, session);
    return { token, session };
  }

  /** The live session for a cookie token, or undefined (unknown, or expired — then it is dropped). */
  find(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const id = sessionId(token);
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (this.#isExpired(session)) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  /** Marks activity, pushing the idle expiry back (never past the absolute one). */
  touch(session: Session): void {
    session.lastSeenAt = this.#now();
  }

  /**
   * Whether `session` has not been ended (logout, a password change or reset, or pushed out by
   * newer logins). Expiry is left to the next request, which finds it: an open /ws carries no
   * requests, and watching the node is not idleness to end it for.
   */
  isLive(session: Session): boolean {
    return this.#sessions.get(session.id) === session;
  }

  destroy(session: Session): void {
    this.#sessions.delete(session.id);
  }

  /** After a password change: every other browser must log in again with the new password.
   *  Without `keep` (a reset from the CLI), every session ends. */
  destroyAllExcept(keep: Session | undefined): void {
    for (const id of [...this.#sessions.keys()]) {
      if (id !== keep?.id) this.#sessions.delete(id);
    }
  }

  #isExpired(session: Session): boolean {
    const now = this.#now();
    return (
      now - session.createdAt >= this.#timeouts.absoluteMs ||
      now - session.lastSeenAt >= this.#timeouts.idleMs
    );
  }

  #pruneExpired(): void {
    for (const [id, session] of this.#sessions) {
      if (this.#isExpired(session)) this.#sessions.delete(id);
    }
  }
}

function sessionId(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
