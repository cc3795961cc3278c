// The web session's CSRF token, kept where only this page's origin can reach it.
//
// The session cookie alone proves nothing: the browser also sends it to the apps on the node's
// other ports (cookies are not port-scoped), so the daemon wants this token beside it on every
// call, and hands it out only in the answer to login/setup. It lives in sessionStorage — scoped to
// our origin (scheme, host *and port*), so an app's page on :18080 can't read it — which survives
// a reload of this tab but not a new tab. A new tab asks the tabs already open, over a
// BroadcastChannel (also same-origin only); when none answers, it shows the login form. A login
// in any tab replaces the browser's one cookie, so it announces the new token to the other tabs,
// and a logout tells them the session is gone.

const STORAGE_KEY = 'archipelago.csrf-token';
const CHANNEL_NAME = 'archipelago.session';
/** How long a new tab waits for an open tab to hand over the token before asking to log in. */
export const BORROW_TIMEOUT_MS = 250;

type ChannelMessage =
  | { type: 'ask' }
  | { type: 'token'; token: string }
  /** Sent by the tab that logged in or set up: the others' token is dead now. */
  | { type: 'replaced'; token: string }
  | { type: 'ended' };

export interface SessionTokenOptions {
  storage?: Storage | undefined;
  channel?: BroadcastChannel | undefined;
}

export class SessionToken {
  /** Another tab logged in (new token) or out (undefined). */
  onChange: ((token: string | undefined) => void) | undefined;
  private memory: string | undefined;
  private readonly storage: Storage | undefined;
  private readonly channel: BroadcastChannel | undefined;
  private waiting: ((token: string) => void) | undefined;

  constructor(options: SessionTokenOptions = {}) {
    this.storage = 'storage' in options ? options.storage : safeSessionStorage();
    this.channel =
      'channel' in options
        ? options.channel
        : typeof BroadcastChannel === 'function'
          ? new BroadcastChannel(CHANNEL_NAME)
          : undefined;
    if (this.channel) this.channel.onmessage = (event: MessageEvent) => this.receive(event.data);
  }

  get(): string | undefined {
    return this.memory ?? this.storage?.getItem(STORAGE_KEY) ?? undefined;
  }

  /** After this tab's login or setup: keep it, and tell the other tabs their token is replaced. */
  start(token: string): void {
    this.keep(token);
    this.post({ type: 'replaced', token });
  }

  /** This tab logged out: forget it, and so do the others. */
  end(): void {
    this.keep(undefined);
    this.post({ type: 'ended' });
  }

  /** Keeps `token` (or forgets it: the daemon said the session is gone) without telling other tabs. */
  set(token: string | undefined): void {
    this.keep(token);
  }

  /** The token of this tab, or one an open tab of this origin hands over; undefined when none does. */
  async borrow(timeoutMs = BORROW_TIMEOUT_MS): Promise<string | undefined> {
    const own = this.get();
    if (own || !this.channel) return own;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiting = (token) => {
        clearTimeout(timer);
        this.waiting = undefined;
        this.keep(token);
        resolve(token);
      };
      this.post({ type: 'ask' });
    });
  }

  private receive(data: unknown): void {
    const message = data as Partial<ChannelMessage> | null;
    if (!message || typeof message !== 'object') return;
    if (message.type === 'ask') {
      const token = this.get();
      if (token) this.post({ type: 'token', token });
    } else if (message.type === 'token' && typeof message.token === 'string') {
      this.waiting?.(message.token);
    } else if (message.type === 'replaced' && typeof message.token === 'string') {
      this.keep(message.token);
      this.onChange?.(message.token);
    } else if (message.type === 'ended') {
      this.keep(undefined);
      this.onChange?.(undefined);
    }
  }

  private keep(token: string | undefined): void {
    this.memory = token;
    try {
      if (token === undefined) this.storage?.removeItem(STORAGE_KEY);
      else this.storage?.setItem(STORAGE_KEY, token);
    } catch {
      // Storage refused (private mode, quota): the token still lives in memory for this page.
    }
  }

  private post(message: ChannelMessage): void {
    try {
      this.channel?.postMessage(message);
    } catch {
      // A closed channel: only this tab is affected.
    }
  }
}

function safeSessionStorage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
}
