// What the API says about Tor (README "Tor"): an app's mode and onion services, and the node's
// remote access to its web UI. The wire's shapes; the daemon's tor/ module makes them.

/** Where an onion service comes from: the manifest, the user (`archy onion add`), or the app itself (bitcoind's own). */
export type OnionSource = 'manifest' | 'user' | 'app';

/** One onion service of an app. */
export interface OnionServiceStatus {
  name: string;
  /** The main service's container port it forwards to. */
  port: number;
  /** The port on the .onion address. */
  virtualPort: number;
  source: OnionSource;
  /** `<56 base32 characters>.onion`, once Tor made the service (absent while it is being created). */
  address?: string;
}

/** An app's Tor: present on AppStatus when the manifest has `tor:` or the user added an onion. */
export interface AppTorStatus {
  /** What the app runs with now: `tor` routes its own traffic through its Tor; `clearnet` does not. */
  mode: 'tor' | 'clearnet';
  /** The manifest's default (privacy-sensitive apps: `tor`). */
  default: 'tor' | 'clearnet';
  onions: OnionServiceStatus[];
  /** The app's Tor container (`archy-<id>.tor`), when the app has one. */
  sidecar?: 'running' | 'stopped' | 'missing';
  /** What switching to clearnet changes, in words a user can weigh. */
  clearnetEffect?: string;
}

/** The web UI and API reached through an onion address (opt-in; `archy web remote-access`). */
export interface RemoteAccessStatus {
  enabled: boolean;
  /** `http://<address>.onion/`, once Tor made it. */
  url?: string;
  state: 'off' | 'starting' | 'running' | 'failed';
  message?: string;
}

/** `package.set-config {tor}`: what a Tor mode change did. */
export interface TorModeChange {
  id: string;
  /** The mode the app runs with now. */
  mode: 'tor' | 'clearnet';
  default: 'tor' | 'clearnet';
  /** False when the app already ran so (nothing was recreated). */
  changed: boolean;
  /** What clearnet changes for this app (its manifest's words, or a generic sentence). */
  clearnetEffect: string;
  message: string;
}

/** `tor.onion-add`: an onion for a container port of the app's main service. */
export interface OnionAddRequest {
  id: string;
  port: number;
  /** The port on the .onion address; `port` when not given. */
  virtualPort?: number;
}

/** `tor.onion-add` / `tor.onion-remove`: the app's Tor afterwards. */
export interface OnionChangeResult {
  id: string;
  tor?: AppTorStatus;
}

/** `tor.status`: every app with Tor, and the node's remote access. */
export interface TorStatusReport {
  apps: Array<{ id: string } & AppTorStatus>;
  remoteAccess?: RemoteAccessStatus;
}
