// The validated, normalized manifest the rest of the daemon works with. Written out by hand
// (rather than only inferred from the zod schema) so the units and defaults are documented
// where the orchestrator's authors will read them; schema.ts checks the two agree.

import type { PortBinding } from '../kernel/index.js';

export const APP_CATEGORIES = ['bitcoin', 'lightning', 'web5', 'mesh', 'self-hosted', 'other'] as const;
export type AppCategory = (typeof APP_CATEGORIES)[number];

export const CHAIN_NETWORKS = ['mainnet', 'testnet', 'testnet4', 'signet', 'regtest'] as const;
export type ChainNetwork = (typeof CHAIN_NETWORKS)[number];

export interface PortSpec extends PortBinding {
  /** 'lan' publishes on 0.0.0.0; 'local' only on 127.0.0.1. Default 'lan'. */
  expose: 'lan' | 'local';
}

export interface VolumeSpec {
  /** Absolute path inside the container, without `.`/`..` segments. */
  mount: string;
  /** Host side is always DATA_DIR/<app-id>/<name>; derived from `mount` when not given. */
  name: string;
  readOnly: boolean;
  /**
   * A folder of the manifest's folder (relative, no `..`) whose regular files and folders are
   * copied into the volume when an install creates it; never into kept data.
   */
  seed?: string;
}

/** Sizes in bytes. */
export interface ResourceSpec {
  memory?: number;
  memoryReservation?: number;
  cpus?: number;
  pids?: number;
  /** Free disk the app needs before it may be installed. */
  minDisk?: number;
}

export interface DependencySpec {
  /** An app id, or an interface some app `provides`. */
  id: string;
  /** A semver range the dependency's version must satisfy. */
  version?: string;
  /** How far the dependency must be up before this app starts. Default 'running'. */
  requires: 'installed' | 'running' | 'healthy';
  /**
   * Bitcoin RPC methods this dependent may call (`-rpcwhitelist` for its own RPC user); absent:
   * every method. Only meaningful for a dependency on a bitcoin-node provider.
   */
  rpcMethods?: string[];
  /**
   * Absolute paths in the container where the dependency's exported files are ALSO mounted
   * (read-only), besides /run/secrets: for apps that read them where another platform put them.
   */
  files?: { tlsCert?: string; credential?: string; password?: string; cookie?: string };
}

/** Where an imported app came from; present = not from the bundled apps or the signed catalog. */
export interface AppOrigin {
  kind: 'umbrel' | 'parmanode';
  /** The upstream's app id. */
  app: string;
  /** The upstream's version, verbatim. */
  upstreamVersion: string;
  /** Informational: what it was converted from (e.g. getumbrel/umbrel-apps). */
  source?: string;
}

/** The login of the app's own web UI; `password` may be a reference such as ${ARCHY_APP_PASSWORD}. */
export interface WebLogin {
  username?: string;
  password?: string;
}

/** An onion service of the app: a .onion port forwarding to a container port of its main service. */
export interface OnionServiceSpec {
  port: number;
  virtualPort?: number;
  name?: string;
}

/** The manifest's `tor:` block (README "Tor"). */
export interface TorSpec {
  /** `tor`: a privacy-sensitive app, on Tor unless the user switches it to clearnet. */
  default: 'tor' | 'clearnet';
  onions: OnionServiceSpec[];
  /** Appended to the main service's command while Tor is on. */
  args?: string[];
  /** Added to the main service's env while Tor is on. */
  env?: Record<string, string>;
  clearnetEffect?: string;
}

/** What a Bitcoin node exports to its dependents; ports default to the `bitcoin:` block's. */
export interface BitcoinNodeExports {
  rpcPort?: number;
  p2pPort?: number;
  /** ZMQ topic → port: the daemon adds `-zmqpub<topic>=tcp://0.0.0.0:<port>` to bitcoind. */
  zmq?: { rawblock?: number; rawtx?: number; hashblock?: number; sequence?: number };
}

/** A file in one of the app's own volumes (the volume's name, a path relative to it). */
export interface VolumeFileSpec {
  volume: string;
  path: string;
}

/** What a Lightning node exports: endpoints, its TLS certificate and an access credential. */
export interface LightningNodeExports {
  grpcPort?: number;
  restPort?: number;
  tlsCert?: VolumeFileSpec;
  /** LND's macaroon, or a Core Lightning rune the app writes to a file of its volume. */
  credential?: VolumeFileSpec & { kind: 'macaroon' | 'rune' };
}

/** Any other interface exports the port a dependent connects to. */
export interface PortExport {
  port: number;
}

/** `exports:` — per interface the app provides, what its dependents receive. */
export type ExportsSpec = {
  'bitcoin-node'?: BitcoinNodeExports;
  'lightning-node'?: LightningNodeExports;
} & Record<string, PortExport>;

export interface SecuritySpec {
  /** Capability names without the CAP_ prefix, e.g. NET_BIND_SERVICE. */
  capAdd: string[];
  /** Default true. */
  readOnlyRootfs: boolean;
  /**
   * Numeric "uid:gid" such as "1000:1000" (a bare uid means the same gid), both ≥ 1; never a
   * name. Absent means the image's user, resolved and judged at create.
   */
  user?: string;
  /** Absolute container paths mounted as tmpfs. */
  tmpfs: string[];
  /** Default true. */
  noNewPrivileges: boolean;
}

export interface HttpProbe {
  port: number;
  /** Starts with "/". Default "/". */
  path: string;
  /** The status that means healthy; absent means any 2xx/3xx. */
  status?: number;
}

export interface TcpProbe {
  port: number;
}

export interface ExecProbe {
  command: string[];
}

/**
 * Asks the node itself: `bitcoin-cli getblockchaininfo` inside the container, with the chain,
 * datadir and RPC port of the manifest's `bitcoin` block. Healthy once RPC answers (the block
 * index is loaded); the answer also gives the sync progress the API reports.
 */
export type BitcoinRpcProbe = Record<string, never>;

/** Exactly one of `http`, `tcp`, `exec`, `bitcoin` is present. Durations in milliseconds. */
export interface HealthSpec {
  http?: HttpProbe;
  tcp?: TcpProbe;
  exec?: ExecProbe;
  bitcoin?: BitcoinRpcProbe;
  /** Default 10 s. */
  interval: number;
  /** Default 5 s. */
  timeout: number;
  /** Failures during this grace period after a start don't count. Default 30 s. */
  startPeriod: number;
  /** Consecutive failures before the app is unhealthy. Default 3. */
  retries: number;
}

export interface BitcoinSpec {
  implementation: 'core' | 'knots';
  network: ChainNetwork;
  rpcPort?: number;
  p2pPort?: number;
  /** Absolute path inside the container. */
  datadir?: string;
}

export interface LightningSpec {
  implementation: 'lnd' | 'cln';
  network: ChainNetwork;
}

export interface Web5Spec {
  protocols: string[];
}

/** A file or folder of the app's own folder copied into an image the node builds. */
export interface BuildFileSpec {
  /** Relative to the manifest's folder; never leaves it. */
  from: string;
  /** Absolute path inside the image. */
  to: string;
}

/**
 * An image the node builds itself instead of pulling one (the demo app): a base made from this
 * host's Debian packages plus files of the app's folder. Its `image` names the local result.
 */
export interface BuildSpec {
  /** `busybox`: Debian busybox-static's static /bin/busybox and its applets. */
  base: 'busybox';
  /** The busybox applets linked into /bin. */
  applets: string[];
  files: BuildFileSpec[];
}

/**
 * One container of an app. A single-container manifest yields one service named `main` built
 * from its top-level fields; a multi-service manifest lists them under `services:`.
 */
export interface ServiceSpec {
  /** `^[a-z][a-z0-9-]{0,30}$`; unique within the app. */
  name: string;
  /** A pinned OCI reference, as the app-level `image`. */
  image: string;
  build?: BuildSpec;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  ports: PortSpec[];
  volumes: VolumeSpec[];
  resources: ResourceSpec;
  security: SecuritySpec;
  health?: HealthSpec;
  /** Milliseconds to wait after SIGTERM before SIGKILL. */
  stopTimeout: number;
  /** Services of the same app that run (and are healthy, if they declare a check) before this one starts. */
  dependsOn: string[];
  /**
   * The app's dependencies this service is connected to (their network and env). The single
   * form uses all of them; a multi-service manifest opts in per service (default none).
   */
  uses: string[];
}

export interface AppManifest {
  id: string;
  name: string;
  version: string;
  category: AppCategory;
  description?: string;
  icon?: string;
  homepage?: string;
  /** A pinned OCI reference: a non-floating tag and/or a sha256 digest. The main service's. */
  image: string;
  /**
   * Present: the node builds `image` itself from this recipe (it must be a localhost/ name).
   * The main service's; another service may carry the app's one build instead.
   */
  build?: BuildSpec;
  /** Absent means the image's own CMD / ENTRYPOINT. */
  command?: string[];
  entrypoint?: string[];
  /** Values as strings, whatever YAML type they were written as. */
  env: Record<string, string>;
  /** Every service's ports, main first: the app's host ports. */
  ports: PortSpec[];
  /** Every service's volumes, main first: the app's data folders. */
  volumes: VolumeSpec[];
  /** The sums over the services (a field no service sets stays absent). */
  resources: ResourceSpec;
  dependencies: DependencySpec[];
  provides: string[];
  /** Per provided interface, what dependents receive (ports, ZMQ, TLS cert, credential). */
  exports?: ExportsSpec;
  conflicts: string[];
  security: SecuritySpec;
  /** Absent means the app declares no health check. */
  health?: HealthSpec;
  /** Milliseconds to wait after SIGTERM before SIGKILL. Default 30 s. */
  stopTimeout: number;
  bitcoin?: BitcoinSpec;
  lightning?: LightningSpec;
  web5?: Web5Spec;
  /**
   * Every container of the app, the main service first, then the rest in listing order. The
   * top-level `image`, `command`, `env`, `security`, `health`, `stopTimeout` are the main's.
   */
  services: ServiceSpec[];
  /** The main service's name (`main` for a single-container manifest): its container is `archy-<id>`. */
  main: string;
  /** Present: an imported app (archy import umbrel / parmanode convert), not signed by the catalog. */
  origin?: AppOrigin;
  webLogin?: WebLogin;
  /** Present: the app runs its own Tor (onion services, and for `default: tor` all its traffic). */
  tor?: TorSpec;
}
