import type { DaemonEventName, WsEventMessage } from '../api/contract.js';
import type { WsClientMessage, WsServerMessage } from '../api/ws-protocol.js';
import { CliError } from './cli-error.js';
import type { DaemonEndpoint } from './rpc-client.js';

/** Each event kind as its own member, so checking `event` narrows `data`. */
export type DaemonEventMessage = { [E in DaemonEventName]: WsEventMessage<E> }[DaemonEventName];
export type DaemonMessage = DaemonEventMessage | WsServerMessage;

/** An open /ws connection to the daemon. */
export interface DaemonEventStream {
  onMessage(listener: (message: DaemonMessage) => void): void;
  send(message: WsClientMessage): void;
  close(): void;
  /** Settles when the connection ends, however it ends. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** The /ws URL for a daemon URL: same host, ws:// or wss://. */
export function eventStreamUrl(daemonUrl: string): string {
  return `${daemonUrl.replace(/^http/, 'ws')}/ws`;
}

/**
 * Opens /ws with the bearer token in the upgrade request's headers (the daemon accepts no token
 * in the URL, where it could end up in logs).
 */
export async function openEventStream(endpoint: DaemonEndpoint): Promise<DaemonEventStream> {
  const url = eventStreamUrl(endpoint.url);
  // Loaded only by the commands that stream (install's progress, logs --follow): `ws` brings TLS
  // and zlib along, and most commands never need them.
  const { default: WebSocket } = await import('ws');
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${endpoint.token}` } });
  const listeners: ((message: DaemonMessage) => void)[] = [];

  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.off('open', onOpen);
      // A refused upgrade reads "Unexpected server response: 401"; callers make an RPC call first
      // when they need to tell "unauthorized" from "not running" in their own words.
      reject(
        new CliError(
          `cannot open the event stream at ${url} (${error.message}): is the daemon running and the token valid?`,
          { cause: error },
        ),
      );
    };
    const onOpen = (): void => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('open', onOpen);
    socket.once('error', onError);
  });
  // Once open, failures end the connection and settle `closed`; without a listener they would throw.
  socket.on('error', () => undefined);

  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    let message: DaemonMessage;
    try {
      message = JSON.parse(data.toString()) as DaemonMessage;
    } catch {
      return; // not ours to interpret; the daemon only sends JSON text
    }
    for (const listener of listeners) listener(message);
  });

  return {
    onMessage: (listener) => {
      listeners.push(listener);
    },
    send: (message) => socket.send(JSON.stringify(message)),
    close: () => socket.close(1000),
    closed,
  };
}
