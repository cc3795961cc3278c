// The error codes every layer throws with (through ArchyError). They are JSON-RPC error codes —
// the API sends them unchanged and clients switch on them — so the name stays `RpcErrorCode` from
// the daemon's lowest layer to the web UI: one name, one number, everywhere.

/** JSON-RPC error codes. Stable: clients switch on them. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  Unauthorized: -32001,
  NotFound: -32002,
  Conflict: -32003,
  InvalidManifest: -32004,
  PodmanError: -32005,
  ImageUnavailable: -32006,
  StartFailed: -32007,
  Busy: -32008,
  /** An install would overcommit the host's memory budget or its free disk. */
  InsufficientResources: -32009,
} as const;
export type RpcErrorCodeValue = (typeof RpcErrorCode)[keyof typeof RpcErrorCode];
