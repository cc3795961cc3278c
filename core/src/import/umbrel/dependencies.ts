// Umbrel's app dependencies and the variables their exports.sh give dependents, mapped onto our
// interfaces and their `${ARCHY_DEP_…}` references. A dependent on Umbrel reads another app's
// IPs, ports and RPC login; here it reads the same from the interface it depends on, and never
// another app's data folder.

/** Umbrel app id → the interface it stands for here. */
export const DEPENDENCY_INTERFACES: Readonly<Record<string, string>> = {
  bitcoin: 'bitcoin-node',
  // Knots is another implementation of the same node: its dependents use the same interface.
  'bitcoin-knots': 'bitcoin-node',
  lightning: 'lightning-node',
  electrs: 'electrum',
  fulcrum: 'electrum',
};

/** What one dependency variable becomes. */
export type DependencyVariable =
  | { kind: 'reference'; interface: string; suffix: string; note?: 'bitcoin-p2p' }
  | { kind: 'tor' }
  | { kind: 'data-dir'; interface: string }
  | { kind: 'unmapped'; interface: string; why: string };

const BITCOIN: Record<string, string> = {
  NODE_IP: '_HOST',
  RPC_PORT: '_RPC_PORT',
  P2P_PORT: '_P2P_PORT',
  RPC_USER: '_RPC_USER',
  RPC_PASS: '_RPC_PASSWORD',
  NETWORK: '_CHAIN',
  ZMQ_RAWBLOCK_PORT: '_ZMQ_RAWBLOCK_PORT',
  ZMQ_RAWTX_PORT: '_ZMQ_RAWTX_PORT',
  ZMQ_HASHBLOCK_PORT: '_ZMQ_HASHBLOCK_PORT',
  ZMQ_SEQUENCE_PORT: '_ZMQ_SEQUENCE_PORT',
};

const LIGHTNING: Record<string, string> = {
  NODE_IP: '_HOST',
  NODE_GRPC_PORT: '_GRPC_PORT',
  NODE_REST_PORT: '_REST_PORT',
};

const ELECTRUM: Record<string, string> = { NODE_IP: '_HOST', NODE_PORT: '_PORT' };

/** The variable prefixes of each Umbrel dependency, longest first (BITCOIN_KNOTS before BITCOIN). */
const PREFIXES: Array<{ prefix: string; app: string; table: Record<string, string> }> = [
  { prefix: 'APP_BITCOIN_KNOTS_', app: 'bitcoin-knots', table: BITCOIN },
  { prefix: 'APP_BITCOIN_', app: 'bitcoin', table: BITCOIN },
  { prefix: 'APP_LIGHTNING_', app: 'lightning', table: LIGHTNING },
  { prefix: 'APP_ELECTRS_', app: 'electrs', table: ELECTRUM },
  { prefix: 'APP_FULCRUM_', app: 'fulcrum', table: ELECTRUM },
];

const TOR_SUFFIX = /(HIDDEN_SERVICE|TOR_PROXY_IP|TOR_PORT|I2P_DAEMON_IP)$/;

/** The Umbrel app whose exports define `name`, or undefined when it is none of the known ones. */
export function dependencyOf(name: string): string | undefined {
  return PREFIXES.find((entry) => name.startsWith(entry.prefix))?.app;
}

/** What a variable of a known dependency maps onto, or undefined if `name` is not one. */
export function mapDependencyVariable(name: string): DependencyVariable | undefined {
  const entry = PREFIXES.find((candidate) => name.startsWith(candidate.prefix));
  if (!entry) return undefined;
  const iface = DEPENDENCY_INTERFACES[entry.app]!;
  const rest = name.slice(entry.prefix.length);
  if (TOR_SUFFIX.test(rest)) return { kind: 'tor' };
  if (rest === 'DATA_DIR' || rest === 'NODE_DATA_DIR') return { kind: 'data-dir', interface: iface };
  const suffix = entry.table[rest];
  if (suffix !== undefined) return { kind: 'reference', interface: iface, suffix };
  if (iface === 'bitcoin-node' && rest === 'P2P_WHITEBIND_PORT')
    return { kind: 'reference', interface: iface, suffix: '_P2P_PORT', note: 'bitcoin-p2p' };
  const why =
    iface === 'bitcoin-node' && rest === 'NETWORK_ELECTRS'
      ? "it is the network in electrs' spelling ('bitcoin' for mainnet), which no reference here gives"
      : iface === 'bitcoin-node' && rest === 'ZMQ_HASHTX_PORT'
        ? 'the bitcoin-node interface publishes the rawblock, rawtx, hashblock and sequence ZMQ topics, not hashtx'
        : iface === 'lightning-node' && rest === 'NODE_PORT'
          ? "the lightning-node interface hands over LND's gRPC and REST endpoints, not its peer port"
          : `the ${iface} interface has no counterpart for it`;
  return { kind: 'unmapped', interface: iface, why };
}
