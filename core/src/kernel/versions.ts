// An app's versions: what the signed catalog offers, an app's version preferences, what a version
// change did, and what the Bitcoin version guard asks the user to confirm.

import type { AppStatus } from './app-status.js';
import type { TorModeChange } from './tor.js';

/**
 * What the Bitcoin version guard asks for before a node starts on a datadir a newer version — or a
 * version nothing names — wrote: `confirmDowngrade` accepts it (and a one-time reindex it needs);
 * on a pruned node, where that means re-downloading the chain, `confirmResync` is the app id typed.
 */
export interface GuardConfirmation {
  confirmDowngrade?: boolean;
  confirmResync?: string;
}

/** `catalog.status`: the signed catalog this node uses. */
export interface CatalogStatusReport {
  /** `bundled`: shipped with the software; `stored`: the last good one fetched from `url`. */
  source: 'bundled' | 'stored';
  metadataVersion: number;
  rootVersion: number;
  expires: string;
  /** Past its expiry: still used (it is the best this node has), but no longer fresh. */
  expired: boolean;
  fetchedAt?: string;
  /** Seconds since it was fetched; absent for the bundled catalog. */
  ageSeconds?: number;
  /** Where refreshes come from (ARCHY_CATALOG_URL); absent when the node never refreshes. */
  refreshUrl?: string;
  refreshIntervalSeconds?: number;
  /** The last refresh attempt; when it failed, `error` says why and the last good catalog stayed. */
  lastRefresh?: { at: string; url: string; ok: boolean; error?: string; reason?: string };
  apps: Array<{ id: string; defaultVersion: string; versions: string[] }>;
}

/** One version the catalog offers for an app. */
export interface AppVersionInfo {
  version: string;
  /** How to show it: `28.4`, Knots `29.3 (2026-05-08)`. */
  display: string;
  image: string;
  default: boolean;
  deprecated: boolean;
  eol?: string;
  notes?: string;
  /** This version is the one installed. */
  installed: boolean;
}

/** `package.versions`. */
export interface AppVersionsReport {
  id: string;
  installed: boolean;
  /** The installed version, when installed. */
  version?: string;
  defaultVersion: string;
  /** Newest first; floating tags (`latest`) are never listed. */
  versions: AppVersionInfo[];
  /** The catalog default, when it is newer than what runs and the app is not pinned. */
  update?: { version: string; display: string };
  pinnedVersion?: string;
  autoUpdate: boolean;
}

/** `package.set-config`: an app's version preferences (DATA_DIR/app-configs/<id>.json). */
export interface AppConfigReport {
  id: string;
  pinnedVersion?: string;
  autoUpdate: boolean;
  /** A Bitcoin node's prune target in GB; absent: keeps every block (or not a Bitcoin node). */
  prune?: number;
  /** What a settings change meant (e.g. "restarted with -prune=9536"). */
  message?: string;
  /** The user's Tor choice for an app with `tor:`; absent: the manifest's default. */
  tor?: 'tor' | 'clearnet';
  /** Onions the user added (`archy onion add`). */
  onions?: Array<{ port: number; virtualPort?: number }>;
  /** With `tor` in the request: what the mode change did (the app runs with `mode` now). */
  torChange?: TorModeChange;
}

/** What a version change or implementation switch did. */
export interface VersionChangeResult {
  status: AppStatus;
  from: { id: string; version: string };
  to: { id: string; version: string };
  /** What the change meant for the data (e.g. a reindex), in words. */
  warning?: string;
  /** Extra arguments the new version's first start got (e.g. -reindex-chainstate). */
  startArgs?: string[];
  /**
   * After such a first start, once the node answered again without them: whether bitcoind is still
   * rebuilding, with its progress when known.
   */
  progress?: string;
}

/** `package.set-version`: run another catalog version of an installed app. */
export interface SetVersionRequest extends GuardConfirmation {
  id: string;
  version: string;
}

/** `package.switch-implementation`: move a Bitcoin datadir from one implementation to the other. */
export interface SwitchImplementationRequest extends GuardConfirmation {
  from: string;
  to: string;
  version?: string;
  confirmSwitch?: boolean;
}

/** `package.set-config`: an app's version preferences (and a Bitcoin node's pruning). */
export interface AppConfigChange {
  id: string;
  /** Pins a version (null unpins). */
  pinnedVersion?: string | null;
  autoUpdate?: boolean;
  /**
   * A Bitcoin node's prune target in GB, 0 to keep every block again. Pruning on, or to another
   * size, restarts the node; off needs a full re-download and `confirmResync` (the app id).
   */
  prune?: number;
  confirmResync?: string;
  /**
   * An app with `tor:`: `tor` routes its traffic through its own Tor, `clearnet` does not, null
   * goes back to its manifest's default. A change recreates the app.
   */
  tor?: 'tor' | 'clearnet' | null;
}

/** `package.sbom`: the SBOM of an image this node built. */
export interface SbomReport {
  id: string;
  version: string;
  format: string;
  sha256: string;
  sbom: string;
}

/** `package.plan-version-change`: which call to plan, with that call's own params. */
export type VersionChangePlanParams =
  | ({ op: 'set-version' } & SetVersionRequest)
  | ({ op: 'switch-implementation' } & SwitchImplementationRequest);

/** What a version change asks of the user before it goes ahead. */
export type VersionChangeNeeds = 'nothing' | 'confirmation' | 'typed-confirmation';

/** `package.plan-version-change`: what a set-version or switch would do; nothing was changed. */
export interface VersionChangePlanReport {
  op: 'set-version' | 'switch-implementation';
  /** The app and version that run now. */
  from: { id: string; version: string; display: string };
  /** The app and catalog version that would run (for a switch, the other implementation's app). */
  to: { id: string; version: string; display: string; image: string };
  /**
   * Compared with the newest version that wrote the data (for a Bitcoin node: any evidence in its
   * datadir, not only the record); `unknown` when the versions do not compare.
   */
  direction: 'same' | 'upgrade' | 'downgrade' | 'unknown';
  /** The real call with these same params would go ahead (`same`: it would change nothing). */
  allowed: boolean;
  /** What it asks of the user, whether or not these params already give it. */
  needs: VersionChangeNeeds;
  /** Some confirmation can make it go ahead; false: refused whatever is confirmed. */
  confirmable: boolean;
  /** The params that confirm everything it needs, to add to the real call when the user agrees. */
  confirm: { confirmSwitch?: boolean; confirmDowngrade?: boolean; confirmResync?: string };
  /** What the user must type for a `typed-confirmation` (the app id). */
  typedText?: string;
  /** `chainstate`: -reindex-chainstate from local blocks; `full`: -reindex (a re-download when pruned). */
  reindex?: 'chainstate' | 'full';
  /** Extra arguments for the first start of the new version (never -reindex=auto). */
  startArgs: string[];
  /** What would happen, in words to show before the user agrees. */
  warning?: string;
  /** Why these params would be refused, and what to do; present exactly when `allowed` is false. */
  refusal?: string;
  /** The rules of the downgrade table that applied, each with its reason (Bitcoin nodes). */
  reasons: Array<{ rule: string; effect: string; reason: string }>;
  /** The newest version the evidence says wrote a Bitcoin datadir, and which evidence. */
  datadirVersion?: { implementation: string; version: string; evidence: string };
}
