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
  /** On an app of several services: only this service's lines (none: every service's, merged). */
  service?: string;
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

  const numbered = (line: LogLine): NumberedLine => ({
    stream: line.stream,
    line: line.line,
    ...(line.service !== undefined && { service: line.service }),
    n: ++counter,
  });
  /** A line naming no service (a single-container app's) cannot be told apart, so it stays. */
  const ofService = (line: LogLine, service: string | undefined): boolean =>
    service === undefined || line.service === undefined || line.service === service;

  function append(id: string, lines: LogLine[]): void {
    const target = view(id);
    const incoming = lines.filter((line) => ofService(line, target.service)).map(numbered);
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
      const { id, stream, line, service } = message.data as { id: string } & LogLine;
      if (followed.has(id)) append(id, [{ stream, line, ...(service !== undefined && { service }) }]);
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
    // The merged snapshot that follows holds few lines of a quiet service: ask for its own.
    if (target.service !== undefined) void backfill(id, target.service);
    return true;
  }

  /** A service's last lines (`container-logs` with `service`), ahead of what arrived since. */
  async function backfill(id: string, service: string): Promise<void> {
    try {
      const lines = await client.logs(id, INITIAL_TAIL, service);
      const target = view(id);
      if (target.service !== service) return; // the user chose another meanwhile
      const earlier = lines.filter((line) => ofService(line, service)).map(numbered);
      // Lines the stream delivered while this was on its way are in the answer too.
      const seen = new Set(earlier.map((line) => `${line.stream}\u0000${line.line}`));
      const since = target.lines.filter((line) => !seen.has(`${line.stream}\u0000${line.line}`));
      target.lines = [...earlier, ...since].slice(-MAX_LOG_LINES);
    } catch (cause) {
      view(id).error = errorMessage(cause);
    }
  }

  /** Shows one service's lines (or, with undefined, every service's again). */
  async function setService(id: string, service: string | undefined): Promise<void> {
    const target = view(id);
    if (target.service === service) return;
    if (service === undefined) delete target.service;
    else target.service = service;
    target.pending = [];
    if (followed.has(id) && subscribe(id)) return;
    target.lines = [];
    if (service !== undefined) return backfill(id, service);
    try {
      target.lines = (await client.logs(id, INITIAL_TAIL)).map(numbered);
    } catch (cause) {
      target.error = errorMessage(cause);
    }
  }

  /** Starts following an app's logs: the last lines, then new ones as they come. */
  async function follow(id: string, daemonSocket: DaemonSocket): Promise<void> {
    attach(daemonSocket);
    followed.add(id);
    if (subscribe(id)) return;
    // /ws is down: show the recent lines now; the 'open' handler subscribes when it is back.
    try {
      const service = view(id).service;
      const lines = await client.logs(id, INITIAL_TAIL, service);
      view(id).lines = lines.filter((line) => ofService(line, service)).map(numbered);
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
    const text = (line: NumberedLine): string =>
      line.service !== undefined && target.service === undefined
        ? `[${line.service}] ${line.line}`
        : line.line;
    return [...target.lines, ...target.pending].map(text).join('\n') + '\n';
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
    setService,
    visibleLines,
    exportText,
    clear,
    attach,
  };
});
