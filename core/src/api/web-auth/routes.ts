import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { WebAuthError, WebAuthSession } from '../contract.js';
import type { RequestAuthCheck } from '../auth.js';
import type { AuditLog } from '../../security/audit/index.js';
import { clearedSessionCookie, sessionCookie } from './cookie-header.js';
import { throttleKeyForRequest } from './client-key.js';
import { requestSite } from './request-origin.js';
import type { NewSession } from './session-store.js';
import { isViaOnion, ONION_CLIENT_KEY } from './via-onion.js';
import { hostOf, untrustedHostMessage, WebAuthRefusal, type WebAuth, type WebRequest } from './web-auth.js';

export const AUTH_PATH_PREFIX = '/auth';
/** A password and some JSON around it; nothing here needs more. */
const AUTH_BODY_LIMIT_BYTES = 16 * 1024;

const passwordBody = z.object({ password: z.string() });
const setupBody = z.object({ password: z.string(), setupCode: z.string().optional() });
const changePasswordBody = z.object({ current: z.string(), next: z.string() });

export interface WebAuthRouteOptions {
  /** Accepts the CLI's bearer token: it may stand in for the setup code. */
  bearerCheck?: RequestAuthCheck;
  /** Records setup, login failures, logouts and password changes. */
  audit?: AuditLog;
}

/** One /auth event for the audit log. */
type AuthEvent = 'auth.setup' | 'auth.login' | 'auth.logout' | 'auth.password';

/**
 * The web login's own endpoints under /auth: plain JSON, outside JSON-RPC and outside the API's
 * auth hook, since they are how a browser gets authenticated in the first place. Register with
 * `{ prefix: AUTH_PATH_PREFIX }`.
 */
export function webAuthRoutes(webAuth: WebAuth, options: WebAuthRouteOptions = {}): FastifyPluginAsync {
  return async (scope) => {
    // Every answer here may hold a CSRF token or reflect login state: never cache it.
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
    });

    scope.addHook('onRequest', async (request, reply) => {
      const viaOnion = isViaOnion(request.raw);
      if (!webAuth.isTrustedHost(request.headers.host, viaOnion)) {
        return refuse(reply, new WebAuthRefusal(403, untrustedHostMessage(request.headers.host, viaOnion)));
      }
      // A page elsewhere must not log the browser in (login CSRF), set the first password, or
      // even ask for the CSRF token (CORS would hide the answer; refusing costs nothing).
      if (requestSite(request.headers) === 'foreign') {
        return refuse(
          reply,
          new WebAuthRefusal(
            403,
            "forbidden: cross-site requests are refused; use the node's own login page",
          ),
        );
      }
    });

    // Only application/json — HTML forms can't send it without a CORS preflight we never grant —
    // and parsed here so that a malformed body (which may hold a password) is never quoted back
    // in an error message or a log line.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: AUTH_BODY_LIMIT_BYTES },
      (_request, body, done) => {
        try {
          done(null, JSON.parse(body as string));
        } catch {
          done(
            new WebAuthRefusal(
              400,
              'the body is not valid JSON: send a JSON object like {"password": "..."}',
            ),
            undefined,
          );
        }
      },
    );

    scope.setErrorHandler((error: FastifyError | WebAuthRefusal, request, reply) => {
      if (error instanceof WebAuthRefusal) return refuse(reply, error);
      const status = error.statusCode ?? 500;
      if (status === 415)
        return refuse(reply, new WebAuthRefusal(415, "send the body as 'Content-Type: application/json'"));
      if (status < 500)
        return refuse(
          reply,
          new WebAuthRefusal(status, 'invalid request: send a JSON object like {"password": "..."}'),
        );
      // The error, not the request: the body may hold a password.
      request.log.error({ err: { message: error.message, stack: error.stack } }, 'web auth request failed');
      return refuse(reply, new WebAuthRefusal(500, 'internal error; see the daemon log'));
    });

    scope.get('/status', async (request) => webAuth.status(webRequest(request)));

    scope.post('/setup', async (request, reply) => {
      const { password, setupCode } = parseBody(
        setupBody,
        request.body,
        '{"password": "...", "setupCode": "XXXX-XXXX-XXXX-XXXX"}',
      );
      // The first password is chosen on the node's own network (or with `archy web password`): an
      // onion address may have been shared, a setup code should not have been.
      if (isViaOnion(request.raw)) {
        throw new WebAuthRefusal(
          403,
          "the first web password is set on the node's own network or with `archy web password`, not over Tor; then log in here",
        );
      }
      const bearer = options.bearerCheck?.(request) ?? false;
      const created = await audited(request, 'auth.setup', { via: bearer ? 'bearer' : 'setup-code' }, () =>
        webAuth.setup(
          password,
          { bearer, ...(setupCode !== undefined && { setupCode }) },
          hostOf(request.headers),
          clientKey(request),
        ),
      );
      return startSession(request, reply, created);
    });

    scope.post('/login', async (request, reply) => {
      const { password } = parseBody(passwordBody, request.body, '{"password": "..."}');
      const created = await audited(request, 'auth.login', {}, () =>
        webAuth.login(password, clientKey(request), hostOf(request.headers)),
      );
      // The browser's previous session, if any, ends here rather than lingering until it expires.
      const previous = webAuth.sessionFor(webRequest(request));
      if (previous) webAuth.logout(previous);
      return startSession(request, reply, created);
    });

    scope.post('/logout', async (request, reply) => {
      const session = webAuth.sessionFor(webRequest(request));
      if (session) {
        // Without the token, a replayed cookie could log the admin out.
        if (!webAuth.csrfMatches(session, request.headers)) throw csrfRefusal();
        webAuth.logout(session);
        await audit(request, 'auth.logout', {}, 'ok');
      }
      reply.header('set-cookie', clearedSessionCookie(isSecure(request)));
      return { ok: true };
    });

    scope.post('/password', async (request): Promise<WebAuthSession> => {
      const session = webAuth.sessionFor(webRequest(request));
      if (!session) throw new WebAuthRefusal(401, 'log in first: changing the password needs a web session');
      if (!webAuth.csrfMatches(session, request.headers)) throw csrfRefusal();
      const { current, next } = parseBody(
        changePasswordBody,
        request.body,
        '{"current": "...", "next": "..."}',
      );
      await audited(request, 'auth.password', {}, () =>
        webAuth.changePassword(session, current, next, clientKey(request)),
      );
      return { csrfToken: session.csrfToken };
    });
  };

  /**
   * Runs an /auth action and records how it ended. Throttle refusals (429) are not recorded:
   * they cost an attacker nothing, so recording them would let anyone fill the disk; failures
   * that reached a check are bounded by the throttle's delays.
   */
  async function audited<T>(
    request: FastifyRequest,
    action: AuthEvent,
    params: Record<string, string>,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      const result = await work();
      await audit(request, action, params, 'ok');
      return result;
    } catch (error) {
      if (error instanceof WebAuthRefusal && error.statusCode !== 429) {
        await audit(request, action, params, `error: ${error.message.split('\n')[0]}`);
      }
      throw error;
    }
  }

  async function audit(
    request: FastifyRequest,
    action: AuthEvent,
    params: Record<string, string>,
    result: 'ok' | `error: ${string}`,
  ): Promise<void> {
    if (!options.audit) return;
    try {
      // The client address as the throttle counted it (behind a trusted proxy, the real one).
      // A refused setup or login is by someone not (yet) known to be the admin.
      const anonymous = result !== 'ok' && (action === 'auth.setup' || action === 'auth.login');
      await options.audit.append({
        actor: anonymous ? 'web:anonymous' : 'web:admin',
        action,
        target: null,
        params: { ...params, client: isViaOnion(request.raw) ? ONION_CLIENT_KEY : request.ip },
        result,
      });
    } catch (error) {
      // A full disk must not lock the owner out of the web UI; the daemon log says what was lost.
      request.log.error({ err: error, action }, 'could not write the audit entry for a web login event');
    }
  }

  function startSession(request: FastifyRequest, reply: FastifyReply, created: NewSession): WebAuthSession {
    reply.header(
      'set-cookie',
      sessionCookie(created.token, {
        maxAgeSeconds: webAuth.sessionMaxAgeSeconds,
        secure: isSecure(request),
      }),
    );
    return { csrfToken: created.session.csrfToken };
  }
}

/**
 * Over TLS, told by the socket or by a trusted proxy's X-Forwarded-Proto (server.ts sets trustProxy).
 * Never over the onion listener: Tor encrypts end to end, but the browser sees http:// and would
 * drop a Secure cookie.
 */
function isSecure(request: FastifyRequest): boolean {
  return !isViaOnion(request.raw) && request.protocol === 'https';
}

/** Who the login throttle counts this request against (one `onion` bucket for all of Tor). */
function clientKey(request: FastifyRequest): string {
  return throttleKeyForRequest({ ip: request.ip, viaOnion: isViaOnion(request.raw) });
}

export function webRequest(request: FastifyRequest): WebRequest {
  return { headers: request.headers, secure: isSecure(request), viaOnion: isViaOnion(request.raw) };
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown, shape: string): T {
  const result = schema.safeParse(body);
  // Our own words, not zod's: they never quote the values sent.
  if (!result.success) throw new WebAuthRefusal(400, `invalid request: send a JSON object like ${shape}`);
  return result.data;
}

function csrfRefusal(): WebAuthRefusal {
  return new WebAuthRefusal(
    403,
    'forbidden: a session cookie alone is not enough; send the CSRF token from POST /auth/login (or /auth/setup) in the x-csrf-token header',
  );
}

function refuse(reply: FastifyReply, refusal: WebAuthRefusal): FastifyReply {
  const body: WebAuthError = { error: refusal.message };
  if (refusal.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(refusal.retryAfterSeconds));
    body.retryAfterSeconds = refusal.retryAfterSeconds;
  }
  return reply.code(refusal.statusCode).send(body);
}
