import {
  BITCOIN_NETWORKS,
  MIN_PRUNE_GB,
  type BitcoinNetwork,
  type BitcoinSettings,
  type CatalogEntry,
} from '@archipelago/core/contract';

// A Bitcoin node's two install-time choices — its chain and whether it prunes — in words a node
// operator can decide on, and the checks the UI makes before it asks the daemon (which decides).

/** Apps that are a Bitcoin node themselves (not apps that use one): they take a chain and pruning. */
export function isBitcoinNode(entry: Pick<CatalogEntry, 'provides' | 'category' | 'dependencies'>): boolean {
  if (entry.provides.includes('bitcoin-node')) return true;
  // A bitcoin-category app that needs a node follows that node's chain; it has none of its own.
  return entry.category === 'bitcoin' && !entry.dependencies.some((dep) => dep.id === 'bitcoin-node');
}

export interface NetworkChoice {
  network: BitcoinNetwork;
  label: string;
  /** One line: what it is for. */
  purpose: string;
}

const NETWORK_WORDS: Record<BitcoinNetwork, Omit<NetworkChoice, 'network'>> = {
  mainnet: {
    label: 'Mainnet',
    purpose: 'The real Bitcoin network, where coins have value: for real use.',
  },
  testnet4: {
    label: 'Testnet4',
    purpose: 'The public test network: coins are worthless, for trying wallets and apps safely.',
  },
  signet: {
    label: 'Signet',
    purpose: 'A test network with steady, signed blocks: predictable, for developing apps.',
  },
  regtest: {
    label: 'Regtest',
    purpose: 'A private chain on this node only, where you make the blocks: for automated tests.',
  },
};

/** The chains an install offers, in the daemon's order (mainnet first, the default). */
export const NETWORK_CHOICES: NetworkChoice[] = BITCOIN_NETWORKS.map((network) => ({
  network,
  ...NETWORK_WORDS[network],
}));

export const DEFAULT_NETWORK: BitcoinNetwork = 'mainnet';

export function networkLabel(network: BitcoinNetwork | string): string {
  return NETWORK_WORDS[network as BitcoinNetwork]?.label ?? network;
}

/** What the install dialog suggests when the user turns pruning on: room for some weeks of recent blocks. */
export const SUGGESTED_PRUNE_GB = 10;

export type PruneInput = { ok: true; gb: number } | { ok: false; error: string };

/** A prune size as the user typed it: a whole number of GB, at least MIN_PRUNE_GB. */
export function parsePruneGb(text: string | number): PruneInput {
  const trimmed = String(text).trim();
  if (trimmed === '') return { ok: false, error: 'Enter a size in GB.' };
  const gb = Number(trimmed);
  if (!Number.isFinite(gb) || !Number.isInteger(gb))
    return { ok: false, error: 'Enter a whole number of GB.' };
  if (gb < MIN_PRUNE_GB) return { ok: false, error: `Enter at least ${MIN_PRUNE_GB} GB.` };
  return { ok: true, gb };
}

/** "Keeps every block" / "Pruned to 10 GB". */
export function describePrune(prune: number | undefined): string {
  return prune ? `Pruned to ${prune} GB: keeps only the newest blocks` : 'Off: keeps every block';
}

export const PRUNE_COST =
  'A pruned node checks every block like a full node, but then deletes all but the newest ones. It ' +
  'cannot serve the old blocks to apps or peers (an Electrum server or block explorer needs them), and ' +
  'a wallet restored later can only be rescanned over the blocks still kept. Turning pruning off later ' +
  'means downloading and verifying the whole chain again.';

export const CHAIN_IS_FIXED =
  'The chain is fixed once the node has data: changing it later means removing the app with its data ' +
  '(or moving its folder away) and installing again.';

/**
 * The chain and prune params of package.install for a Bitcoin node (nothing for other apps): only
 * what differs from the app's own settings (`manifest`, as catalog-list reports them), so an app
 * whose manifest picks another chain keeps it unless the user changes it.
 */
export function chainParams(
  node: boolean,
  choice: { network: BitcoinNetwork; prune: boolean; pruneGb: number },
  manifest: BitcoinSettings = { network: DEFAULT_NETWORK },
): Partial<BitcoinSettings> {
  if (!node) return {};
  const prune = choice.prune ? choice.pruneGb : 0;
  return {
    ...(choice.network !== manifest.network && { network: choice.network }),
    ...(prune !== (manifest.prune ?? 0) && { prune }),
  };
}

export type PruneChangeKind = 'same' | 'on' | 'resize' | 'off';

/** What changing a node's prune target from `current` (undefined: off) to `next` GB (0: off) means. */
export function pruneChangeKind(current: number | undefined, next: number): PruneChangeKind {
  const now = current ?? 0;
  if (now === next) return 'same';
  if (next === 0) return 'off';
  return now === 0 ? 'on' : 'resize';
}
