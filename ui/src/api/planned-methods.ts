// JSON-RPC methods the architecture names (package.*) but the daemon does not serve yet. Their
// shapes live here until core's contract.ts gains them; then delete this file and the client picks
// them up from the contract. Until then a call answers MethodNotFound (-32601), which the
// Version & Updates card reports as "not available on this node yet".

export interface CatalogVersionInfo {
  version: string;
  /** The catalog's default (what a plain install picks). */
  default?: boolean;
  deprecated?: boolean;
  /** End of life as the publisher wrote it, e.g. "2026-10-01". */
  eol?: string;
  notes?: string;
}

export interface PlannedRpcMethods {
  /** Change an installed app's version (Core/Knots: the daemon checks the datadir first). */
  'package.set-version': {
    params: {
      id: string;
      version: string;
      /** The user accepted a downgrade and its reindex. */
      confirmDowngrade?: boolean;
      /** On a pruned node, the app id the user typed to accept a full re-sync. */
      confirmResync?: string;
    };
    result: unknown;
  };
  /** Pin a version (null unpins) and turn auto-update on or off. */
  'package.set-config': {
    params: { id: string; pinnedVersion?: string | null; autoUpdate?: boolean };
    result: unknown;
  };
  /** Move a Bitcoin datadir from one implementation to the other (Core ⇄ Knots). */
  'package.switch-implementation': {
    params: {
      from: string;
      to: string;
      version: string;
      confirmSwitch: boolean;
      confirmDowngrade?: boolean;
      confirmResync?: string;
    };
    result: unknown;
  };
}
