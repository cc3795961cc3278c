// What a Bitcoin node's container gets because of its dependents, as plain values: one rpcauth
// line per bound dependent (handed over in a secret file, see bitcoin-rpc.ts), -rpcwhitelist for
// those that named their rpcMethods, and -zmqpub per exported ZMQ topic. Pure.

import type { BitcoinNodeExport } from './provided.js';

export interface BoundDependent {
  id: string;
  user: string;
  /** The methods it may call; absent: every method. */
  rpcMethods?: readonly string[];
}

/**
 * bitcoind's arguments for the dependents and exports. Once any -rpcwhitelist is set, Core gives
 * every user *without* one an empty whitelist unless -rpcwhitelistdefault=0 — which keeps the
 * node's own admin login (and dependents that named no methods) unrestricted.
 */
export function providerArgs(exported: BitcoinNodeExport, dependents: readonly BoundDependent[]): string[] {
  const args: string[] = [];
  const listed = [...dependents]
    .filter((dependent) => dependent.rpcMethods !== undefined)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const dependent of listed)
    args.push(`-rpcwhitelist=${dependent.user}:${dependent.rpcMethods!.join(',')}`);
  if (listed.length > 0) args.push('-rpcwhitelistdefault=0');
  // 0.0.0.0 inside the container: only the app's own network (its dependents) reaches it.
  for (const { topic, port } of exported.zmq) args.push(`-zmqpub${topic}=tcp://0.0.0.0:${port}`);
  return args;
}
