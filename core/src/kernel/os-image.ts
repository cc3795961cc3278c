// Archipelago OS's own version and updates (`archy os status|update`, README "OS updates"), as
// the daemon reports them. The files they come from are written by the OS's root tools
// (os/rootfs/usr/lib/archipelago-os/update and boot-check); the daemon only reads them, and
// hands a downloaded bundle to the root update service through a spool folder.

export type OsSlot = 'a' | 'b';

/** update-state.json: the root update tool's last run. checking…writing while it runs. */
export interface OsUpdateState {
  state: 'checking' | 'verifying' | 'writing' | 'applied' | 'failed';
  /** The bundle's version (empty before its manifest was read). */
  version: string;
  /** The slot it writes (the one not running). */
  slot: string;
  error?: string;
  /** ISO time of this state. */
  at: string;
}

/** boot-state.json / boot-failed.json: what the boot check decided about a boot. */
export interface OsBootRecord {
  slot: string;
  version: string;
  /** A counted boot: a fresh update's entry with tries left (systemd-boot boot counting). */
  counted: boolean;
  result: 'ok' | 'failed';
  reason?: string;
  bootId?: string;
  at: string;
}

/** A download the daemon is doing for `os.update`, or has handed to the root service. */
export interface OsDownload {
  /** downloading: still arriving; waiting: in the spool for the root update service; failed: it stopped. */
  state: 'downloading' | 'waiting' | 'failed';
  url: string;
  bytes: number;
  total?: number;
  reboot: boolean;
  error?: string;
  at: string;
}

/** One key that may log in as `archy`, as `ssh-keygen -l` names it. */
export interface OsSshKey {
  /** The key's type as written in the file, e.g. ssh-ed25519. */
  type: string;
  /** SHA256:<base64>, the form ssh prints. */
  fingerprint: string;
  comment?: string;
}

/**
 * SSH for the user `archy` (README "SSH"): off unless `archipelago-ssh.txt` on the boot partition
 * turned it on. Shown so the owner can see from the UI whether it is on, for which keys, and which
 * host key the first login should show.
 */
export interface OsSsh {
  enabled: boolean;
  /** The keys that may log in (none while off). */
  keys: OsSshKey[];
  /** The node's own host key (SHA256:…), made when sshd first starts; absent before. */
  hostKey?: string;
}

/** `os.status`. */
export type OsStatus =
  | {
      supported: false;
      /** Why: e.g. not booted from an Archipelago OS image. */
      reason: string;
    }
  | {
      supported: true;
      version: string;
      slot: OsSlot;
      otherSlot: { slot: OsSlot; version?: string };
      download?: OsDownload;
      lastUpdate?: OsUpdateState;
      /** The last update went to the other slot and waits for a restart to run. */
      rebootPending: boolean;
      /** The boot check's record; `thisBoot` false while this boot's check is still running. */
      lastBoot?: OsBootRecord & { thisBoot: boolean };
      ssh: OsSsh;
      /** The node restarted into the update's slot, it did not come up, and the loader fell back. */
      fellBack?: {
        from: { slot: string; version: string };
        to: { slot: OsSlot; version: string };
        reason: string;
      };
    };

/** `os.update`: a bundle by URL (http:, https:, or file: on the node). */
export interface OsUpdateRequest {
  url: string;
  /** Restart into the new version once it is written. */
  reboot?: boolean;
}
