// An installed app as every layer sees it: its lifecycle state, health, logs, progress while its
// image is made available, and the events the daemon publishes about it. The API carries these
// unchanged (api/contract.ts re-exports them), so they are wire shapes too: change them only in
// ways old clients still read.

import type { AdoptedData } from './adoption.js';
import type { BitcoinSettings } from './bitcoin-settings.js';
import type { AppGrants, ImportedOrigin } from './install-plan.js';
import type { AppTorStatus } from './tor.js';
import type { BackupProgress, BackupResult } from './backups.js';

/** Lifecycle state of an installed app, as `archy status` and the UI show it. */
export type AppState =
  | 'installing'
  | 'starting'
  | 'running'
  | 'unhealthy'
  | 'crash-loop'
  | 'stopping'
  | 'stopped'
  | 'updating'
  | 'failed';

/** `none` means the manifest declares no health check. */
export type HealthStatus = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface PortBinding {
  container: number;
  host: number;
  protocol: 'tcp' | 'udp';
}

export interface AppStatus {
  id: string;
  name: string;
  version: string;
  image: string;
  state: AppState;
  health: HealthStatus;
  /** Podman's container id, when a container exists. */
  containerId?: string;
  containerName: string;
  ports: PortBinding[];
  /** What the user asked for last: the daemon keeps the app in this state across restarts. */
  desired: 'running' | 'stopped';
  installedAt: string;
  startedAt?: string;
  exitCode?: number;
  /** Why the app is failed/unhealthy, in words a user can act on. */
  message?: string;
  restartCount: number;
  /** Present in the `crash-loop` state: the supervisor stopped restarting the app. */
  crashLoop?: { since: string; exitCode?: number; lastLogs: string[] };
  /** Present when this node built the image it runs: what went in, and its SBOM. */
  provenance?: ImageProvenanceReport;
  /** A Bitcoin node's chain and pruning, as chosen at install (and pruning changed since). */
  bitcoin?: BitcoinSettings;
  /** Present when the app runs on data adopted in place (`archy parmanode adopt`). */
  adopted?: AdoptedData;
  /** Every container of the app, the main first (a single-container app: one, named `main`). */
  services: ServiceStatus[];
  /** Present: an imported app (Umbrel, Parmanode), installed on the user's confirmation, not signed by the catalog. */
  origin?: ImportedOrigin;
  /** With `origin`: what the app was granted (the web UI's details page shows it). */
  grants?: AppGrants;
  /** Present when the app has Tor (manifest `tor:` or an onion the user added): mode and onions. */
  tor?: AppTorStatus;
}

/** One service (container) of an app; the app's `state`/`health` add them all up. */
export interface ServiceStatus {
  name: string;
  /** The main service: its container is `archy-<id>`, dependents reach it. */
  main: boolean;
  containerName: string;
  containerId?: string;
  image: string;
  state: 'running' | 'starting' | 'unhealthy' | 'stopped' | 'failed' | 'missing';
  health: HealthStatus;
  startedAt?: string;
  exitCode?: number;
  ports: PortBinding[];
}

/** A signer whose signature over a release's SHA256SUMS was good. */
export interface ReleaseSigner {
  /** The primary key's OpenPGP fingerprint, as the catalog pins it. */
  fingerprint: string;
  userId: string;
}

/**
 * Why a node trusts an image it built itself: the verified official release (or the bundled
 * recipe) it came from, when, the image ID it runs, and its SBOM's digest.
 */
export interface ImageProvenanceReport {
  builtBy: 'node';
  imageId: string;
  reference: string;
  builtAt: string;
  origin:
    | {
        kind: 'release';
        implementation: 'core' | 'knots';
        arch: string;
        tarball: string;
        /** The tarball's SHA-256, as the signed catalog and the signed SHA256SUMS name it. */
        sha256: string;
        /** Where the tarball came from: a URL, or file://… for a release the user brought. */
        source: string;
        signers: ReleaseSigner[];
        threshold: number;
      }
    | { kind: 'recipe'; manifestFile: string; inputsSha256: string };
  sbom: { format: string; sha256: string };
}

/** Progress while a node makes an app version's image available (a build from a release, say). */
export interface ImageProgress {
  id: string;
  version: string;
  /** `ready`: the image is available (the container is created and started next). */
  phase: 'keys' | 'signatures' | 'download' | 'verify' | 'build' | 'sbom' | 'ready';
  detail: string;
  file?: string;
  bytes?: number;
  total?: number;
  rateBytesPerSecond?: number;
  etaSeconds?: number;
}

export interface ProbeResult {
  at: string;
  ok: boolean;
  /** e.g. "HTTP 200 from :8080/" or "connection refused on :8080". */
  detail: string;
  durationMs: number;
  /** What a Bitcoin node's answer to the bitcoin probe said about its sync. */
  sync?: ChainSync;
}

/** A Bitcoin node's sync, from its `getblockchaininfo`. */
export interface ChainSync {
  /** "main", "test", "testnet4", "signet" or "regtest", as bitcoind names it. */
  chain: string;
  blocks: number;
  headers: number;
  /** 0 to 1: bitcoind's estimate of how much of the chain it has verified. */
  verificationProgress: number;
  initialBlockDownload: boolean;
  pruned: boolean;
}

export interface AppHealth {
  id: string;
  status: HealthStatus;
  /** Newest first. */
  probes: ProbeResult[];
  restartCount: number;
  /** When `status` last changed. */
  since: string;
  /** Bitcoin nodes with the bitcoin probe: the sync the last answering probe reported, and when. */
  sync?: ChainSync & { at: string };
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  line: string;
  /** The service that wrote it (multi-service apps only). */
  service?: string;
  /** Kept lines only (asked with since/until): ISO time written, UTC with nanoseconds. */
  time?: string;
  /** Kept lines only: the container (short id) that wrote it; it changes where the app was recreated. */
  container?: string;
}

export interface PullProgress {
  id: string;
  image: string;
  completedBytes: number;
  totalBytes: number;
  layersDone: number;
  layersTotal: number;
}

/** Events pushed over `/ws`. */
export interface DaemonEvents {
  'app-state': AppStatus;
  'app-removed': { id: string };
  'pull-progress': PullProgress;
  'image-progress': ImageProgress;
  log: { id: string } & LogLine;
  /** A backup, verify or restore job while it runs (README "Backups"). */
  'backup.progress': BackupProgress;
  /** How a backup job ended. */
  'backup.finished': BackupResult;
}
export type DaemonEventName = keyof DaemonEvents;
