// The web UI's password login: first-run setup, sessions in an HttpOnly cookie, CSRF tokens,
// a login throttle. createApiServer mounts the routes and the session check when given a WebAuth.
export {
  WebAuth,
  WebAuthRefusal,
  CSRF_HEADER,
  WS_PROTOCOL,
  WS_CSRF_PROTOCOL_PREFIX,
  type WebRequest,
  type SetupProof,
  type WebAuthOptions,
  type ApiRequestVerdict,
} from './web-auth.js';
export { webAuthRoutes, webRequest, AUTH_PATH_PREFIX, type WebAuthRouteOptions } from './routes.js';
export {
  SESSION_COOKIE_NAME,
  SECURE_SESSION_COOKIE_NAME,
  sessionCookieName,
  readCookie,
  sessionCookie,
  clearedSessionCookie,
} from './cookie-header.js';
export {
  SETUP_CODE_FILE_NAME,
  setupCodeFilePath,
  readSetupCode,
  generateSetupCode,
  normalizeSetupCode,
} from './setup-code.js';
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
export { requestSite, isTrustedHost, isNodeOnionHost, type RequestSite } from './request-origin.js';
export { throttleKeyForAddress, throttleKeyForRequest } from './client-key.js';
export { markViaOnion, isViaOnion, ONION_CLIENT_KEY } from './via-onion.js';
