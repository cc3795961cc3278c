import type { WsEventMessage } from '@archipelago/core/contract';
import type { WsClientMessage, WsErrorMessage, WsLogsEnded } from '@archipelago/core/ws-protocol';
import { client } from './container-client';

// One WebSocket to /ws for the whole UI: daemon events in, log subscriptions out. It reconnects
// by itself with exponential backoff; listeners of 'open' learn whether it was a reconnect, so
// they can fetch what they may have missed.

export type SocketState = 'idle' | 'connecting' | 'open' | 'closed';

interface SocketListeners {
  event: (message: WsEventMessage) => void;
  open: (reconnected: boolean) => void;
  state: (state: SocketState) => void;
  'logs-end': (id: string) => void;
  error: (error: WsErrorMessage['error']) => void;
}

type ListenerMap = { [K in keyof SocketListeners]: Set<SocketListeners[K]> };

export interface DaemonSocketOptions {
  url?: () => string;
  /** Subprotocols to offer, asked at each (re)connect: how the session's CSRF token travels. */
  protocols?: () => string[];
  WebSocket?: typeof WebSocket;
  initialDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

/**
 * A browser's WebSocket can't carry an X-CSRF-Token header; the subprotocol list is the one thing
 * a page may set. The daemon answers `archy` and reads the token from `archy-csrf.<token>`.
 */
export function sessionProtocols(token: string | undefined): string[] {
  return token ? ['archy', `archy-csrf.${token}`] : ['archy'];
}

export function defaultSocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`;
}

/** The wait before reconnect attempt `attempt` (0-based): doubling, capped, with jitter. */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class DaemonSocket {
  state: SocketState = 'idle';
  private socket: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private everOpened = false;
  private wanted = false;
  private readonly listeners: ListenerMap = {
    event: new Set(),
    open: new Set(),
    state: new Set(),
    'logs-end': new Set(),
    error: new Set(),
  };

  constructor(private readonly options: DaemonSocketOptions = {}) {}

  on<K extends keyof SocketListeners>(name: K, listener: SocketListeners[K]): () => void {
    const set = this.listeners[name] as Set<SocketListeners[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  connect(): void {
    this.wanted = true;
    if (this.socket || this.timer) return;
    this.open();
  }

  /** Closes for good (logout): no reconnect until connect() again. */
  close(): void {
    this.wanted = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
    this.everOpened = false;
    this.attempts = 0;
    this.setState('idle');
  }

  /** Sends when open; false when not (the caller resends after the next 'open'). */
  send(message: WsClientMessage): boolean {
    if (this.state !== 'open' || !this.socket) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  private open(): void {
    const Impl = this.options.WebSocket ?? globalThis.WebSocket;
    this.setState('connecting');
    let socket: WebSocket;
    try {
      socket = new Impl((this.options.url ?? defaultSocketUrl)(), this.options.protocols?.());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempts = 0;
      this.setState('open');
      for (const listener of this.listeners.open) listener(reconnected);
    };
    socket.onmessage = (message: MessageEvent) => {
      if (this.socket !== socket || typeof message.data !== 'string') return;
      this.dispatch(message.data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.wanted) this.scheduleReconnect();
      else this.setState('idle');
    };
  }

  private dispatch(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    if ('event' in message) {
      for (const listener of this.listeners.event) listener(message as WsEventMessage);
    } else if ('end' in message) {
      const { id } = message as WsLogsEnded;
      for (const listener of this.listeners['logs-end']) listener(id);
    } else if ('error' in message) {
      const { error } = message as WsErrorMessage;
      for (const listener of this.listeners.error) listener(error);
    }
  }

  private scheduleReconnect(): void {
    this.setState('closed');
    const delay = backoffDelay(
      this.attempts++,
      this.options.initialDelayMs ?? 500,
      this.options.maxDelayMs ?? 15_000,
      this.options.random ?? Math.random,
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.wanted) this.open();
    }, delay);
  }

  private setState(state: SocketState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.listeners.state) listener(state);
  }
}

export const daemonSocket = new DaemonSocket({ protocols: () => sessionProtocols(client.csrfToken) });
