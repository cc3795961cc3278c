import type { RawData, WebSocket } from 'ws';
import { ZodError } from 'zod';
import { RpcErrorCode, type DaemonEventName, type WsEventMessage } from './contract.js';
import type { AppLifecycle } from '../orchestrator/lifecycle.js';
import { ArchyError } from '../kernel/index.js';
import { describeIssues } from './rpc-dispatcher.js';
import { DEFAULT_LOG_TAIL } from './rpc-methods.js';
import { parseWsClientMessage, type WsServerMessage } from './ws-protocol.js';

/** Bus events every /ws client receives. `log` is not among them: logs flow only on request. */
const BROADCAST_EVENTS = [
  'app-state',
  'app-removed',
  'pull-progress',
  'image-progress',
  'backup.progress',
  'backup.finished',
] as const satisfies DaemonEventName[];

/** The close code for a socket whose web session ended (4000–4999: the application's own). */
export const WS_SESSION_ENDED = 4401;

export interface WsSessionOptions {
  lifecycle: AppLifecycle;
  logger: { debug(details: object, message: string): void; warn(details: object, message: string): void };
  /** A client that misses one ping round is dropped, so dead peers don't pile up. */
  pingIntervalMs: number;
  /** A client that falls this far behind is disconnected instead of growing the daemon's memory. */
  maxBufferedBytes: number;
  /** Log streams one socket may follow at once. */
  maxLogStreams: number;
}

/**
 * Serves one authenticated /ws connection until it closes: forwards daemon events, runs the log
 * streams the client asks for, and on close removes every listener and aborts every stream.
 */
export function serveWsSession(
  socket: WebSocket,
  options: WsSessionOptions,
  /** For a socket opened with a web session: false once that session ended (logout, new password). */
  stillAuthorized: () => boolean = () => true,
): void {
  const { lifecycle, logger } = options;
  const logStreams = new Map<string, AbortController>();
  // Checked before every message either way: a logout or a password reset must not leave a
  // browser (or whoever holds its socket) watching the node.
  const authorized = (): boolean => {
    if (stillAuthorized()) return true;
    if (socket.readyState === socket.OPEN)
      socket.close(WS_SESSION_ENDED, 'the web session ended; log in again');
    return false;
  };

  const send = (message: WsEventMessage | WsServerMessage): void => {
    if (socket.readyState !== socket.OPEN || !authorized()) return;
    if (socket.bufferedAmount > options.maxBufferedBytes) {
      logger.warn({ bufferedAmount: socket.bufferedAmount }, 'dropping a /ws client that does not keep up');
      socket.close(1013, 'too far behind; reconnect');
      return;
    }
    socket.send(JSON.stringify(message));
  };

  const sendError = (code: number, message: string, id?: string): void =>
    send({ error: id === undefined ? { code, message } : { code, message, id } });

  const unsubscribers = BROADCAST_EVENTS.map((event) =>
    lifecycle.events.on(event, (data) => {
      send({ event, data });
    }),
  );

  const followLogs = async (id: string, tail: number, since?: string): Promise<void> => {
    logStreams.get(id)?.abort();
    const controller = new AbortController();
    logStreams.set(id, controller);
    try {
      for await (const line of lifecycle.logs(id, {
        tail,
        follow: true,
        signal: controller.signal,
        ...(since !== undefined && { since }),
      })) {
        if (controller.signal.aborted) break;
        send({ event: 'log', data: { id, ...line } });
      }
      if (!controller.signal.aborted) send({ end: 'logs', id });
    } catch (error) {
      if (controller.signal.aborted) return; // we ended it: unsubscribe, resubscribe or close
      if (error instanceof ArchyError) {
        sendError(error.code, error.message, id);
      } else {
        logger.warn({ err: error, id }, 'log stream failed');
        sendError(
          RpcErrorCode.InternalError,
          `internal error: the log stream of '${id}' failed; see the daemon log`,
          id,
        );
      }
    } finally {
      if (logStreams.get(id) === controller) logStreams.delete(id);
    }
  };

  const onMessage = (raw: RawData): void => {
    if (!authorized()) return;
    let message;
    try {
      message = parseWsClientMessage(JSON.parse(rawDataToString(raw)));
    } catch (error) {
      if (error instanceof SyntaxError)
        return sendError(RpcErrorCode.ParseError, 'parse error: send JSON text');
      const reason = error instanceof ZodError ? `invalid message: ${describeIssues(error)}` : String(error);
      return sendError(RpcErrorCode.InvalidParams, reason.replace(/^Error: /, ''));
    }
    if ('unsubscribe' in message) {
      logStreams.get(message.id)?.abort();
      logStreams.delete(message.id);
      return;
    }
    if (!logStreams.has(message.id) && logStreams.size >= options.maxLogStreams) {
      return sendError(
        RpcErrorCode.Busy,
        `already following ${logStreams.size} log streams on this connection; unsubscribe from one first`,
        message.id,
      );
    }
    void followLogs(message.id, message.tail ?? DEFAULT_LOG_TAIL, message.since);
  };

  let answeredLastPing = true;
  const pinger = setInterval(() => {
    if (!authorized()) return;
    if (!answeredLastPing) {
      logger.debug({}, 'dropping a /ws client that stopped answering pings');
      socket.terminate();
      return;
    }
    answeredLastPing = false;
    socket.ping();
  }, options.pingIntervalMs);

  socket.on('pong', () => {
    answeredLastPing = true;
  });
  socket.on('message', onMessage);
  socket.on('error', (error) => logger.debug({ err: error }, '/ws socket error'));
  socket.once('close', () => {
    clearInterval(pinger);
    for (const unsubscribe of unsubscribers) unsubscribe();
    for (const controller of logStreams.values()) controller.abort();
    logStreams.clear();
  });
}

function rawDataToString(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('utf8');
  return raw.toString('utf8');
}
