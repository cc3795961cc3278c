// The daemon's API: JSON-RPC methods, auth, WebSocket events. Wire types live in contract.ts.
export * from './contract.js';
export {
  COOKIE_FILE_NAME,
  cookiePath,
  writeCookie,
  removeCookie,
  tokensMatch,
  bearerToken,
  bearerTokenCheck,
  matchAuthCheck,
  authMethodOf,
  UNAUTHORIZED_MESSAGE,
  type RequestAuthCheck,
  type NamedAuthCheck,
} from './auth.js';
export {
  createApiServer,
  RPC_PATH,
  WS_PATH,
  DEFAULT_BODY_LIMIT_BYTES,
  type ApiServerOptions,
} from './server.js';
export { listen, parseListenAddress, urlForAddress, type ListenAddress } from './listen-address.js';
export { listenOnOnionSocket, type OnionListener } from './onion-listener.js';
export {
  RpcDispatcher,
  describeIssues,
  MAX_BATCH_SIZE,
  type RpcMethod,
  type RpcLogger,
  type JsonRpcId,
  type JsonRpcResponse,
  type JsonRpcErrorObject,
} from './rpc-dispatcher.js';
export { createRpcMethods, DEFAULT_LOG_TAIL, type DaemonInfo, type DaemonInfoSource } from './rpc-methods.js';
export { rpcParamSchemas, APP_ID_PATTERN, MAX_LOG_TAIL } from './rpc-params.js';
export type {
  WsClientMessage,
  WsUnsubscribeLogs,
  WsLogsEnded,
  WsErrorMessage,
  WsServerMessage,
} from './ws-protocol.js';
