import { z } from 'zod';
import type { WsSubscribeLogs } from './contract.js';
import { appIdSchema, logTimeSchema, MAX_LOG_TAIL } from './rpc-params.js';

// Messages on /ws beyond contract.ts's event messages. The server pushes `WsEventMessage`s; a
// client may send these to follow or stop following an app's logs.

/** Stops a log stream started with `WsSubscribeLogs`. */
export interface WsUnsubscribeLogs {
  unsubscribe: 'logs';
  id: string;
}

export type WsClientMessage = WsSubscribeLogs | WsUnsubscribeLogs;

/** Sent when a followed log stream ends by itself (e.g. the app's container went away). */
export interface WsLogsEnded {
  end: 'logs';
  id: string;
}

/** Sent when a client message is refused or a log stream fails; `id` names the app if known. */
export interface WsErrorMessage {
  error: { code: number; message: string; id?: string };
}

export type WsServerMessage = WsLogsEnded | WsErrorMessage;

const subscribeLogsSchema = z.strictObject({
  subscribe: z.literal('logs', { error: "expected 'logs'" }),
  id: appIdSchema,
  // 0 is allowed here (unlike container-logs): follow only what comes next.
  tail: z
    .number({ error: 'expected a whole number of lines' })
    .int({ error: 'expected a whole number of lines' })
    .min(0, { error: 'expected 0 or more lines' })
    .max(MAX_LOG_TAIL, { error: `expected at most ${MAX_LOG_TAIL} lines` })
    .optional(),
  since: logTimeSchema.optional(),
}) satisfies z.ZodType<WsSubscribeLogs>;

const unsubscribeLogsSchema = z.strictObject({
  unsubscribe: z.literal('logs', { error: "expected 'logs'" }),
  id: appIdSchema,
}) satisfies z.ZodType<WsUnsubscribeLogs>;

export const WS_CLIENT_MESSAGE_HELP = "send {subscribe:'logs', id, tail?} or {unsubscribe:'logs', id}";

/**
 * Validates a decoded client message. Throws ZodError naming the bad field, or an Error with
 * WS_CLIENT_MESSAGE_HELP when the message is neither kind.
 */
export function parseWsClientMessage(value: unknown): WsClientMessage {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    if ('subscribe' in value) return subscribeLogsSchema.parse(value);
    if ('unsubscribe' in value) return unsubscribeLogsSchema.parse(value);
  }
  throw new Error(`unknown message: ${WS_CLIENT_MESSAGE_HELP}`);
}
