// Where LND keeps its static channel backup, read from the manifest it runs (pure).
//
// LND writes `<lnddir>/data/chain/bitcoin/<network>/channel.backup` and rewrites it (whole, by
// rename) every time a channel opens or closes (lightningnetwork/lnd chanbackup/backupfile.go and
// docs/recovery.md, read 2026-12-06: "channel.backup … in the same directory as the wallet";
// lnddir's data/chain/bitcoin/<network>). The manifest says `--lnddir=/data` and mounts a volume at
// /data; the network folder is whichever the node runs (mainnet, testnet, testnet4, signet,
// regtest), so the watcher looks for every `data/chain/bitcoin/*/channel.backup` in that volume.

import { posix } from 'node:path';
import type { AppManifest } from '../manifest/index.js';

/**
 * An app runs LND when it is the bundled one (`lnd`) or its command names an lnddir (an LND
 * installed from a file or imported under another id, e.g. Umbrel's `lightning`).
 */
export function runsLnd(manifest: Pick<AppManifest, 'id' | 'command'>): boolean {
  return manifest.id === 'lnd' || /--lnddir(=|\s)/.test((manifest.command ?? []).join(' '));
}
export const CHANNEL_BACKUP_FILE = 'channel.backup';
/** LND's default lnddir inside its image (~/.lnd of root) when the command names none. */
const DEFAULT_LNDDIR = '/root/.lnd';

export interface ChannelBackupLocation {
  /** The app's volume that holds the lnddir. */
  volume: string;
  /** The folder under the volume whose subfolders are the networks (`data/chain/bitcoin`). */
  chainDir: string;
}

/** The volume and folder of LND's channel.backup, or undefined when no volume holds the lnddir. */
export function channelBackupLocation(
  manifest: Pick<AppManifest, 'command' | 'volumes'>,
): ChannelBackupLocation | undefined {
  const lnddir = lnddirOf(manifest.command ?? []);
  // The volume whose mount holds the lnddir (the longest such mount, if they nest).
  const holders = manifest.volumes
    .filter((v) => lnddir === v.mount || lnddir.startsWith(`${v.mount.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mount.length - a.mount.length);
  const volume = holders[0];
  if (!volume) return undefined;
  const inside = posix.relative(volume.mount, lnddir);
  return { volume: volume.name, chainDir: posix.join(inside, 'data', 'chain', 'bitcoin') };
}

/** `--lnddir=X` / `--lnddir X` anywhere in the command (also inside a `sh -c` script). */
export function lnddirOf(command: readonly string[]): string {
  const text = command.join(' ');
  const match = /--lnddir(?:=|\s+)("?)([^\s"]+)\1/.exec(text);
  return match ? posix.normalize(match[2]!) : DEFAULT_LNDDIR;
}
