// The web UI's password login: first-run setup, sessions in an HttpOnly cookie, CSRF tokens,
// a login throttle. createApiServer mounts the routes and the session check when given a WebAuth.
export {
  WebAuth,
  WebAuthRefusal,
  CSRF_HEADER,
  type WebAuthOptions,
  type ApiRequestVerdict,
} from './web-auth.js';
export { webAuthRoutes, AUTH_PATH_PREFIX } from './routes.js';
export { SESSION_COOKIE_NAME, readCookie, sessionCookie, clearedSessionCookie } from './cookie-header.js';
export {
  LoginThrottle,
  DEFAULT_LOGIN_THROTTLE,
  type LoginThrottleOptions,
  type ThrottledAttempt,
} from './login-throttle.js';
export {
  SessionStore,
  DEFAULT_SESSION_TIMEOUTS,
  MAX_SESSIONS,
  type Session,
  type SessionTimeouts,
} from './session-store.js';
export {
  hashPassword,
  verifyPassword,
  SCRYPT_DEFAULTS,
  type PasswordRecord,
  type ScryptParams,
} from './password-hash.js';
export { passwordProblem, PASSWORD_RULE, MIN_PASSWORD_LENGTH, PASSPHRASE_LENGTH } from './password-rules.js';
export { WEB_AUTH_FILE_NAME, webAuthFilePath } from './password-file.js';
export { requestSite, isTrustedHost, type RequestSite } from './request-origin.js';
export { throttleKeyForAddress } from './client-key.js';
