import websocket from '@fastify/websocket';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { RpcErrorCode, type RpcMethodName } from './contract.js';
import type { AppLifecycle } from '../orchestrator/lifecycle.js';
import {
  authMethodOf,
  bearerTokenCheck,
  matchAuthCheck,
  UNAUTHORIZED_MESSAGE,
  type NamedAuthCheck,
  type RequestAuthCheck,
} from './auth.js';
import { RpcDispatcher, type JsonRpcResponse, type RpcMethod } from './rpc-dispatcher.js';
import type { ResourceManager } from '../resources/index.js';
import type { AuditLog } from '../security/audit/index.js';
import { auditObserver } from './audit-observer.js';
import { zodOnlySchemaController } from './zod-only-schema-controller.js';
import {
  BEARER_ONLY_METHODS,
  createRpcMethods,
  type BackupControl,
  type DaemonInfoSource,
  type RpcMethodDependencies,
  type RestoreControl,
  type RemoteAccessControl,
} from './rpc-methods.js';
import { serveWsSession, type WsSessionOptions } from './ws-session.js';
import { ArchyError } from '../kernel/index.js';
import { AUTH_PATH_PREFIX, webAuthRoutes, webRequest, WS_PROTOCOL, type WebAuth } from './web-auth/index.js';

export const RPC_PATH = '/rpc/v1';
export const WS_PATH = '/ws';
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface ApiServerOptions {
  lifecycle: AppLifecycle;
  /** The token written to DATA_DIR/.cookie (see writeCookie). */
  token: string;
  logger: FastifyBaseLogger;
  info: DaemonInfoSource;
  /** Records every state-changing call. */
  audit?: AuditLog;
  /** Answers the `resources` method. */
  resources?: Pick<ResourceManager, 'report'>;
  /** Answers `backup.*`. */
  backups?: BackupControl;
  /** Answers `backup.schedule`, and `backup.status` with the schedule's fields. */
  backupSchedule?: RpcMethodDependencies['backupSchedule'];
  /** Answers `backup.restore` and `backup.restore-plan`. */
  restore?: RestoreControl;
  /** More ways to accept a request besides the bearer token, e.g. the web UI's session cookie. */
  extraAuthChecks?: RequestAuthCheck[];
  /** The web UI's password login: mounts /auth/* and lets a session (+ CSRF token) call the API. */
  webAuth?: WebAuth;
  /** Answers `web.remote-access` (the node's Tor). */
  remoteAccess?: RemoteAccessControl;
  /** Answers `os.status` and `os.update` (Archipelago OS). */
  osImage?: RpcMethodDependencies['osImage'];
  /**
   * Addresses/CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
   * believed (for the login throttle's client and the cookie's Secure/`__Host-`); from anyone
   * else those headers are ignored. Empty (the default): believed from nobody.
   */
  trustedProxies?: readonly string[];
  bodyLimitBytes?: number;
  ws?: Partial<Pick<WsSessionOptions, 'pingIntervalMs' | 'maxBufferedBytes' | 'maxLogStreams'>>;
}

/**
 * The daemon's HTTP server: JSON-RPC at POST /rpc/v1 and events at GET /ws, both behind auth.
 * Returned unstarted so the daemon can register more (the static UI) before `listen()`.
 */
export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const bearerCheck = bearerTokenCheck(options.token);
  // Each way in is named, in the order tried; which one let a request in decides what it may call
  // and is what the audit log records.
  const webAuth = options.webAuth;
  const authChecks: NamedAuthCheck<FastifyRequest>[] = [
    { name: 'bearer-token', check: bearerCheck },
    ...(webAuth
      ? [
          {
            name: 'web-session',
            check: (request: FastifyRequest) => webAuth.checkApiRequest(webRequest(request))?.ok === true,
          },
        ]
      : []),
    ...(options.extraAuthChecks ?? []).map((check) => ({ name: 'extra-check', check })),
  ];
  const methods = createRpcMethods({
    lifecycle: options.lifecycle,
    info: options.info,
    ...(options.resources ? { resources: options.resources } : {}),
    ...(options.webAuth ? { webAuth: options.webAuth } : {}),
    ...(options.remoteAccess ? { remoteAccess: options.remoteAccess } : {}),
    ...(options.osImage ? { osImage: options.osImage } : {}),
    ...(options.backups ? { backups: options.backups } : {}),
    ...(options.backupSchedule ? { backupSchedule: options.backupSchedule } : {}),
    ...(options.restore ? { restore: options.restore } : {}),
  });
  const observer = options.audit ? auditObserver(options.audit) : undefined;
  // Which check let a request in decides what it may call: the bearer token everything, a web
  // session everything but the methods that would let it take over the web login itself.
  const bearerDispatcher = new RpcDispatcher(methods, options.logger, observer);
  const sessionDispatcher = new RpcDispatcher(withoutBearerOnly(methods), options.logger, observer);
  const wsOptions: WsSessionOptions = {
    lifecycle: options.lifecycle,
    logger: options.logger,
    pingIntervalMs: options.ws?.pingIntervalMs ?? 30_000,
    maxBufferedBytes: options.ws?.maxBufferedBytes ?? 8 * 1024 * 1024,
    maxLogStreams: options.ws?.maxLogStreams ?? 32,
  };

  // Credentials never reach the log, even if a serializer or a debug line ever includes headers.
  const logger = options.logger.child({}, { redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } });
  const trustedProxies = [...(options.trustedProxies ?? [])];
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit,
    schemaController: zodOnlySchemaController,
    // request.ip and request.protocol follow X-Forwarded-* only from these peers (proxy-addr).
    trustProxy: trustedProxies.length > 0 ? trustedProxies : false,
  });
  void app.register(websocket, {
    options: {
      // Client messages are small JSON commands; the cap keeps a client from making us buffer much.
      maxPayload: 64 * 1024,
      // Our page offers `archy` and `archy-csrf.<token>`: answer `archy`, never echo the token.
      handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    },
  });

  // The API in its own scope: its auth hook, JSON-only parsing and error shape don't leak onto
  // routes the daemon adds beside it (the UI's static files, its login page).
  void app.register(async (api) => {
    // onRequest runs before the body is read and before a WebSocket upgrade, so a caller without
    // the token gets a 401 and nothing else: no parsing, no method, no socket.
    api.addHook('onRequest', async (request, reply) => {
      if (matchAuthCheck(request, authChecks) !== undefined) return;
      // A browser whose session expired, or lacks its CSRF token, or comes from another origin
      // learns which, rather than being told about the CLI's bearer token.
      const verdict = options.webAuth?.checkApiRequest(webRequest(request));
      const sessionRefusal = verdict && !verdict.ok ? verdict : undefined;
      if (!sessionRefusal) reply.header('www-authenticate', 'Bearer realm="archipelago"');
      await reply
        .code(sessionRefusal?.statusCode ?? 401)
        // Don't keep the connection to drain an unauthenticated client's request body.
        .header('connection', 'close')
        .send(errorBody(RpcErrorCode.Unauthorized, sessionRefusal?.message ?? UNAUTHORIZED_MESSAGE));
    });

    // Only application/json, kept as text so the dispatcher can answer bad JSON with -32700.
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
      done(null, body);
    });

    api.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status === 415) {
        return reply
          .code(415)
          .send(
            errorBody(
              RpcErrorCode.InvalidRequest,
              "invalid request: send the body as 'Content-Type: application/json'",
            ),
          );
      }
      if (status === 413) {
        return reply
          .code(413)
          .send(
            errorBody(
              RpcErrorCode.InvalidRequest,
              `invalid request: the body is over the limit of ${bodyLimit} bytes`,
            ),
          );
      }
      if (status < 500) {
        return reply
          .code(status)
          .send(errorBody(RpcErrorCode.InvalidRequest, `invalid request: ${error.message}`));
      }
      request.log.error({ err: error }, 'api request failed');
      return reply
        .code(500)
        .send(errorBody(RpcErrorCode.InternalError, 'internal error; see the daemon log'));
    });

    api.post(RPC_PATH, async (request, reply) => {
      if (typeof request.body !== 'string') {
        return reply
          .code(400)
          .send(
            errorBody(RpcErrorCode.InvalidRequest, 'invalid request: send a JSON-RPC request as the body'),
          );
      }
      const dispatcher = authMethodOf(request) === 'bearer-token' ? bearerDispatcher : sessionDispatcher;
      const response = await dispatcher.dispatchText(request.body, request);
      if (response === undefined) return reply.code(204).send();
      return reply.code(200).send(response);
    });

    api.get(WS_PATH, { websocket: true }, (socket, request) => {
      // Let in by a web session: the socket lives only as long as that session does.
      const session =
        authMethodOf(request) === 'web-session' ? webAuth?.sessionFor(webRequest(request)) : undefined;
      serveWsSession(socket, wsOptions, session && webAuth ? () => webAuth.isLive(session) : undefined);
    });
  });

  if (options.webAuth) {
    void app.register(
      webAuthRoutes(options.webAuth, { bearerCheck, ...(options.audit ? { audit: options.audit } : {}) }),
      { prefix: AUTH_PATH_PREFIX },
    );
  }

  return app;
}

const REDACTED_LOG_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  // Our page's WebSocket carries the CSRF token as a subprotocol.
  'req.headers["sec-websocket-protocol"]',
  'headers.cookie',
  'headers.authorization',
  'headers["x-csrf-token"]',
  'headers["sec-websocket-protocol"]',
  'res.headers["set-cookie"]',
];

/** The method table a web session gets: the bearer-only methods answer with a refusal. */
function withoutBearerOnly(methods: Record<RpcMethodName, RpcMethod>): Record<RpcMethodName, RpcMethod> {
  const table = { ...methods };
  for (const name of BEARER_ONLY_METHODS) {
    table[name] = {
      invoke: async () => {
        throw new ArchyError(
          RpcErrorCode.Unauthorized,
          `unauthorized: ${name} takes the CLI's bearer token, not a web session; run \`archy ${name === 'web.setup-code' ? 'web setup-code' : name === 'package.adopt' ? 'parmanode adopt' : 'web password'}\` on the node`,
        );
      },
    };
  }
  return table;
}

function errorBody(code: number, message: string): JsonRpcResponse {
  return { jsonrpc: '2.0', id: null, error: { code, message } };
}
