// What `archy parmanode adopt` would do with each app Parmanode installed: pure, so the decisions
// (and the reasons given to the user) are unit-tested. Only the Bitcoin node is adopted in place;
// everything else is said in words, with why.

import type { InstalledEntry } from './parmanode-conf.js';

export interface AppPlan {
  /** The installed.conf name (`bitcoin`, `electrs`, …). */
  app: string;
  action: 'adopt' | 'not-adopted' | 'nothing-to-do';
  /** The Archipelago app it becomes, when adopted. */
  appId?: string;
  /** Host folders of its data that discovery found. */
  dataDirs: string[];
  why: string;
}

/** Why an app is not adopted automatically (the README's "what does not come over" says the same). */
const NOT_ADOPTED: Record<string, string> = {
  electrs:
    "its index is derived from the chain and rebuilt by Archipelago's electrs from the adopted node; an index written by another build is not checked to be compatible, so it is left where it is",
  fulcrum: 'its database is derived from the chain and rebuilt from the adopted node; it is left where it is',
  lnd: 'channel state is money: a Lightning node must never run twice or from a stale copy. Its data is left untouched; move it by hand with LND stopped (README: Coming from Parmanode)',
  cln: 'channel state is money; its data is left untouched (see the README)',
  mempool:
    'its database lives in Docker volumes Archipelago cannot read; install mempool in Archipelago, on the adopted node',
  btcpay:
    'its database (invoices, stores) lives in Docker volumes; export what you need from BTCPay first, then install it in Archipelago',
  rtl: 'a web UI without data of its own; install it again in Archipelago',
};

/** Entries that are Parmanode's own tools, not apps with data. */
const TOOLS = new Set(['parmanode', 'docker', 'tor', 'nginx', 'socat', 'bre', 'parmashell', 'parmabox']);

/**
 * The plan per installed.conf entry. `bitcoin`: the datadir discovery found (absent: not found),
 * its implementation (Knots from its banner), and `dataDirs` of the other apps by name.
 */
export function planAdoption(input: {
  entries: readonly InstalledEntry[];
  bitcoin?: { datadir: string; implementation?: 'core' | 'knots' };
  dataDirs: Readonly<Record<string, string[]>>;
}): AppPlan[] {
  return input.entries.map((entry): AppPlan => {
    const dataDirs = input.dataDirs[entry.app] ?? [];
    if (entry.state === 'unfinished') {
      return {
        app: entry.app,
        action: 'nothing-to-do',
        dataDirs,
        why: 'its Parmanode install never finished',
      };
    }
    if (entry.app === 'bitcoin') {
      if (!input.bitcoin) {
        return {
          app: 'bitcoin',
          action: 'not-adopted',
          dataDirs,
          why: 'no Bitcoin datadir was found (~/.bitcoin, or the external drive it links to, is missing: plug the drive in)',
        };
      }
      const appId = input.bitcoin.implementation === 'knots' ? 'bitcoin-knots' : 'bitcoin-core';
      return {
        app: 'bitcoin',
        action: 'adopt',
        appId,
        dataDirs: [input.bitcoin.datadir],
        why: `installed as ${appId} on ${input.bitcoin.datadir} in place (no copy); the host bitcoind is stopped first`,
      };
    }
    if (TOOLS.has(entry.app)) {
      return {
        app: entry.app,
        action: 'nothing-to-do',
        dataDirs,
        why: 'a Parmanode tool, not an app with data',
      };
    }
    return {
      app: entry.app,
      action: 'not-adopted',
      dataDirs,
      why: NOT_ADOPTED[entry.app] ?? 'Archipelago does not adopt this app; its data is left untouched',
    };
  });
}
