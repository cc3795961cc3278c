import type { IncomingHttpHeaders } from 'node:http';
import type { AuditLog } from '../security/audit/index.js';
import { bearerToken } from './auth.js';
import type { RpcObserver } from './rpc-dispatcher.js';

/** Methods that change something: each call, allowed or refused, goes in the audit log. */
const STATE_CHANGING = new Set([
  'container-install',
  'container-start',
  'container-stop',
  'container-restart',
  'container-remove',
  'package.install',
  'package.update',
  'package.set-version',
  'package.set-config',
  'package.switch-implementation',
  // archy web password (its params are not kept: KEPT_PARAMS has no password).
  'web.set-password',
]);

/** Params worth keeping: a manifest's whole text is not, its file name and id are. */
const KEPT_PARAMS = [
  'id',
  'version',
  'manifestFile',
  'purge',
  'cascade',
  'pinnedVersion',
  'autoUpdate',
  'from',
  'to',
  'confirmDowngrade',
  'confirmResync',
  'confirmSwitch',
];

/**
 * Writes an audit entry for every state-changing RPC call: who (the CLI's bearer token or a
 * web session), what, on which app, and how it ended.
 */
export function auditObserver(audit: AuditLog): RpcObserver {
  return async (call, context) => {
    if (!STATE_CHANGING.has(call.method)) return;
    const headers = (context as { headers?: IncomingHttpHeaders } | undefined)?.headers ?? {};
    const params = (typeof call.params === 'object' && call.params !== null ? call.params : {}) as Record<
      string,
      unknown
    >;
    const kept = Object.fromEntries(
      KEPT_PARAMS.filter((key) => params[key] !== undefined).map((key) => [key, params[key] as string]),
    );
    // An install from a manifest names its app only in the answer.
    const answeredId = call.outcome.ok ? (call.outcome.result as { id?: unknown } | null)?.id : undefined;
    const target =
      typeof params.id === 'string'
        ? params.id
        : typeof params.to === 'string'
          ? params.to
          : typeof answeredId === 'string'
            ? answeredId
            : null;
    await audit.append({
      actor: bearerToken(headers) ? 'cli' : 'web:admin',
      action: call.method,
      target,
      params: kept,
      result: call.outcome.ok ? 'ok' : `error: ${call.outcome.message.split('\n')[0]}`,
    });
  };
}
