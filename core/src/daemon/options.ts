import type { KeptLogLimits } from '../logs/index.js';

/** How `archy daemon` was asked to run. */
export interface DaemonOptions {
  dataDir: string;
  /** host:port the API and UI listen on. */
  listen: string;
  /** A rootless Podman API socket to use; when absent the daemon starts and owns one. */
  podmanSocket?: string;
  /** Reverse proxies whose X-Forwarded-For/-Proto are believed (--trusted-proxy, ARCHY_TRUSTED_PROXIES). */
  trustedProxies?: string[];
  /**
   * The master key file, kept outside the data dir (`--master-key-file`, ARCHY_MASTER_KEY_FILE).
   * Absent: the systemd credential `archipelago-master-key` if present, else
   * DATA_DIR/secrets/.master-key (see resolveMasterKeySource).
   */
  masterKeyFile?: string;
  /** Kept logs (README "Kept logs"): off keeps none (`--kept-logs off`); absent: on, default caps. */
  keptLogs?: { enabled: boolean; limits?: KeptLogLimits };
}

export const DEFAULT_DATA_DIR = '/var/lib/archipelago';
export const DEFAULT_LISTEN = '127.0.0.1:5959';
