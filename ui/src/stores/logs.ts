import type { LogLine, WsEventMessage } from '@archipelago/core/contract';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { client, errorMessage } from '../api/container-client';
import type { DaemonSocket } from '../api/daemon-socket';

export interface NumberedLine extends LogLine {
  n: number;
}

export interface LogView {
  lines: NumberedLine[];
  /** Lines that arrived while paused; shown on resume. */
  pending: NumberedLine[];
  paused: boolean;
  following: boolean;
  ended: boolean;
  filter: string;
  error?: string;
}

/** How many lines the viewer keeps per app; older ones drop off the top. */
export const MAX_LOG_LINES = 5000;
export const INITIAL_TAIL = 200;

const emptyView = (): LogView => ({
  lines: [],
  pending: [],
  paused: false,
  following: false,
  ended: false,
  filter: '',
});

/** Logs per app, followed live over /ws. */
export const useLogs = defineStore('logs', () => {
  const views = ref<Record<string, LogView>>({});
  const followed = new Set<string>();
  let socket: DaemonSocket | undefined;
  let counter = 0;

  function view(id: string): LogView {
    if (!views.value[id]) views.value[id] = emptyView();
    return views.value[id];
  }

  const numbered = (line: LogLine): NumberedLine => ({ stream: line.stream, line: line.line, n: ++counter });

  function append(id: string, lines: LogLine[]): void {
    const target = view(id);
    const incoming = lines.map(numbered);
    if (target.paused) {
      target.pending = [...target.pending, ...incoming].slice(-MAX_LOG_LINES);
    } else {
      target.lines = [...target.lines, ...incoming].slice(-MAX_LOG_LINES);
    }
  }

  /** Wires the store to the socket once: log events in, re-subscription after a reconnect. */
  function attach(daemonSocket: DaemonSocket): void {
    if (socket === daemonSocket) return;
    socket = daemonSocket;
    daemonSocket.on('event', (message: WsEventMessage) => {
      if (message.event !== 'log') return;
      const { id, stream, line } = message.data as { id: string } & LogLine;
      if (followed.has(id)) append(id, [{ stream, line }]);
    });
    daemonSocket.on('logs-end', (id) => {
      if (!views.value[id]) return;
      view(id).ended = true;
      view(id).following = false;
    });
    daemonSocket.on('error', (error) => {
      if (error.id && views.value[error.id]) view(error.id).error = error.message;
    });
    daemonSocket.on('open', () => {
      // A fresh snapshot rather than a gap: lines sent while the socket was down are lost.
      for (const id of followed) subscribe(id);
    });
  }

  function subscribe(id: string): boolean {
    const target = view(id);
    if (!socket?.send({ subscribe: 'logs', id, tail: INITIAL_TAIL })) return false;
    target.lines = [];
    target.pending = [];
    target.ended = false;
    target.error = undefined;
    target.following = true;
    return true;
  }

  /** Starts following an app's logs: the last lines, then new ones as they come. */
  async function follow(id: string, daemonSocket: DaemonSocket): Promise<void> {
    attach(daemonSocket);
    followed.add(id);
    if (subscribe(id)) return;
    // /ws is down: show the recent lines now; the 'open' handler subscribes when it is back.
    try {
      const lines = await client.logs(id, INITIAL_TAIL);
      view(id).lines = lines.map(numbered);
    } catch (cause) {
      view(id).error = errorMessage(cause);
    }
  }

  function unfollow(id: string): void {
    followed.delete(id);
    socket?.send({ unsubscribe: 'logs', id });
    if (views.value[id]) view(id).following = false;
  }

  function setPaused(id: string, paused: boolean): void {
    const target = view(id);
    target.paused = paused;
    if (!paused && target.pending.length > 0) {
      target.lines = [...target.lines, ...target.pending].slice(-MAX_LOG_LINES);
      target.pending = [];
    }
  }

  function setFilter(id: string, filter: string): void {
    view(id).filter = filter;
  }

  function visibleLines(id: string): NumberedLine[] {
    const target = views.value[id];
    if (!target) return [];
    const needle = target.filter.trim().toLowerCase();
    return needle ? target.lines.filter((line) => line.line.toLowerCase().includes(needle)) : target.lines;
  }

  /** The lines as a .log file's text (all of them, not just the filtered ones). */
  function exportText(id: string): string {
    const target = views.value[id];
    if (!target) return '';
    return [...target.lines, ...target.pending].map((line) => line.line).join('\n') + '\n';
  }

  function clear(id: string): void {
    if (views.value[id]) view(id).lines = [];
  }

  return {
    views,
    view,
    append,
    follow,
    unfollow,
    setPaused,
    setFilter,
    visibleLines,
    exportText,
    clear,
    attach,
  };
});
