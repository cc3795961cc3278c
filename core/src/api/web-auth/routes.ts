import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { WebAuthError, WebAuthSession } from '../contract.js';
import { clearedSessionCookie, sessionCookie } from './cookie-header.js';
import { throttleKeyForAddress } from './client-key.js';
import { requestSite } from './request-origin.js';
import type { NewSession } from './session-store.js';
import { untrustedHostMessage, WebAuthRefusal, type WebAuth } from './web-auth.js';

export const AUTH_PATH_PREFIX = '/auth';
/** A password and some JSON around it; nothing here needs more. */
const AUTH_BODY_LIMIT_BYTES = 16 * 1024;

const passwordBody = z.object({ password: z.string() });
const changePasswordBody = z.object({ current: z.string(), next: z.string() });

/**
 * The web login's own endpoints under /auth: plain JSON, outside JSON-RPC and outside the API's
 * auth hook, since they are how a browser gets authenticated in the first place. Register with
 * `{ prefix: AUTH_PATH_PREFIX }`.
 */
export function webAuthRoutes(webAuth: WebAuth): FastifyPluginAsync {
  return async (scope) => {
    // Every answer here may hold a CSRF token or reflect login state: never cache it.
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
    });

    scope.addHook('onRequest', async (request, reply) => {
      if (!webAuth.isTrustedHost(request.headers.host)) {
        return refuse(reply, new WebAuthRefusal(403, untrustedHostMessage(request.headers.host)));
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

    scope.get('/status', async (request) => webAuth.status(request.headers));

    scope.post('/setup', async (request, reply) => {
      const { password } = parseBody(passwordBody, request.body, '{"password": "..."}');
      return startSession(request, reply, await webAuth.setup(password));
    });

    scope.post('/login', async (request, reply) => {
      const { password } = parseBody(passwordBody, request.body, '{"password": "..."}');
      const created = await webAuth.login(password, throttleKeyForAddress(request.ip));
      // The browser's previous session, if any, ends here rather than lingering until it expires.
      const previous = webAuth.sessionFor(request.headers);
      if (previous) webAuth.logout(previous);
      return startSession(request, reply, created);
    });

    scope.post('/logout', async (request, reply) => {
      const session = webAuth.sessionFor(request.headers);
      if (session) {
        if (!webAuth.csrfMatches(session, request.headers)) throw csrfRefusal();
        webAuth.logout(session);
      }
      reply.header('set-cookie', clearedSessionCookie(request.protocol === 'https'));
      return { ok: true };
    });

    scope.post('/password', async (request): Promise<WebAuthSession> => {
      const session = webAuth.sessionFor(request.headers);
      if (!session) throw new WebAuthRefusal(401, 'log in first: changing the password needs a web session');
      if (!webAuth.csrfMatches(session, request.headers)) throw csrfRefusal();
      const { current, next } = parseBody(
        changePasswordBody,
        request.body,
        '{"current": "...", "next": "..."}',
      );
      await webAuth.changePassword(session, current, next, throttleKeyForAddress(request.ip));
      return { csrfToken: session.csrfToken };
    });
  };

  function startSession(request: FastifyRequest, reply: FastifyReply, created: NewSession): WebAuthSession {
    reply.header(
      'set-cookie',
      sessionCookie(created.token, {
        maxAgeSeconds: webAuth.sessionMaxAgeSeconds,
        secure: request.protocol === 'https',
      }),
    );
    return { csrfToken: created.session.csrfToken };
  }
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
    "forbidden: send the session's CSRF token (from POST /auth/login or GET /auth/status) in the x-csrf-token header",
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
