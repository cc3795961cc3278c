// Data an app was given in place rather than made by us: a Parmanode node's Bitcoin datadir,
// adopted by `archy parmanode adopt` (RPC `package.adopt`) and given back by `archy parmanode
// release` (`package.release`). The record keeps what adoption changed, so release (or the boot
// after a crash) can undo exactly that.

import type { BitcoinNetwork } from './bitcoin-settings.js';

/** Where adopted data came from (informational; shown by `archy status`). */
export interface AdoptionSource {
  kind: 'parmanode';
  /** The Parmanode user's home folder the CLI read (`~/.parmanode/installed.conf`). */
  home: string;
  /** The installed.conf entry the data belongs to, e.g. `bitcoin`. */
  entry: string;
}

/** A host service the CLI stopped before adoption, which release may bring back. */
export interface HostService {
  /** `systemd`: a unit the CLI stopped and disabled; `process`: a bitcoind it stopped over RPC. */
  kind: 'systemd' | 'process';
  /** The unit (`bitcoind.service`) or the process's command line. */
  name: string;
}

/** What the app record keeps about data adopted in place. */
export interface AdoptedData {
  source: AdoptionSource;
  /** Volume name → the absolute host folder bound in its place (no link in the path). */
  volumes: Record<string, string>;
  /** Who owned the data before adoption (the daemon's own user): release gives it back to them. */
  originalOwner: { uid: number; gid: number };
  hostServices: HostService[];
  adoptedAt: string;
}

/** `package.adopt`: install a bundled app on existing data, in place. */
export interface AdoptRequest {
  id: string;
  /** A catalog version; absent: the one the datadir's last banner names if the catalog has it, else the default. */
  version?: string;
  volumes: Record<string, string>;
  source: AdoptionSource;
  network?: BitcoinNetwork;
  prune?: number;
  hostServices?: HostService[];
  /** Check everything (paths, ownership, the version guard) and change nothing. */
  check?: boolean;
  /** As GuardConfirmation (versions.ts): accept an older version on data a newer one wrote. */
  confirmDowngrade?: boolean;
  /** As GuardConfirmation: the app id, typed to accept a full re-download of the chain. */
  confirmResync?: string;
}

/** What `package.adopt` with `check: true` found, or what it did. */
export interface AdoptResult {
  id: string;
  version: string;
  volumes: Record<string, string>;
  /** True when nothing was changed (a check). */
  checked: boolean;
  /** What the start will mean beyond a plain start (an upgrade of the datadir, a reindex). */
  warning?: string;
  /** The last version banner in the datadir's debug.log, when there is one. */
  datadirVersion?: string;
}

/** `package.release`: what was given back. */
export interface ReleaseResult {
  id: string;
  volumes: Record<string, string>;
  owner: { uid: number; gid: number };
  hostServices: HostService[];
}
