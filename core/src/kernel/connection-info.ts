// How to connect to an installed app's interfaces (`package.connection-info`) and what a rotation
// of its credentials did (`package.rotate-credentials`). Secret values travel only when the caller
// asked to reveal them (and that call is audited).

export interface ConnectionEndpoint {
  /** e.g. `RPC`, `ZMQ rawblock`, `gRPC`, `REST`. */
  name: string;
  /** e.g. `http://192.168.1.5:8332`, `tcp://192.168.1.5:28332`. */
  url: string;
}

export interface ConnectionCredential {
  /** e.g. `RPC user`, `RPC password`, `TLS certificate`, `Macaroon (hex)`. */
  name: string;
  secret: boolean;
  /** Always present when not secret; for a secret only with `reveal`. */
  value?: string;
}

export interface ConnectionInterface {
  /** `bitcoin-node`, `lightning-node`, or any other interface the app provides. */
  name: string;
  /**
   * Set when this is the app's own login at another app it uses (e.g. its RPC user at the Bitcoin
   * node); absent for an interface the app itself provides.
   */
  provider?: string;
  endpoints: ConnectionEndpoint[];
  credentials: ConnectionCredential[];
  /** `lndconnect://…` for a Lightning node (only with `reveal`: it carries the macaroon). */
  uri?: string;
}

export interface ConnectionInfo {
  id: string;
  /** The host name or address the URLs use. */
  host: string;
  interfaces: ConnectionInterface[];
}

export interface ConnectionInfoRequest {
  id: string;
  /** Include secret values (audited). */
  reveal?: boolean;
  /** The host the URLs name; default: the node's first non-loopback IPv4 address. */
  host?: string;
}

/** `package.rotate-credentials`: what got a new password and what was restarted to apply it. */
export interface RotateCredentialsResult {
  id: string;
  /** `<interface> @ <provider>` pairs whose login was replaced, e.g. `bitcoin-node @ bitcoin-core`. */
  rotated: Array<{ interface: string; provider: string; user: string }>;
  /** Apps recreated or restarted so the new login applies (the provider, then the app itself). */
  restarted: string[];
}
