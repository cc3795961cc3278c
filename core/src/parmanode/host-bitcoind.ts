// Stopping a Parmanode bitcoind that runs without a systemd unit (started from Parmanode's menu):
// RPC `stop` on 127.0.0.1 with the datadir's own credentials (its `.cookie`, else bitcoin.conf's
// rpcuser/rpcpassword), then waiting for its process to exit — bitcoind flushes its UTXO cache on
// shutdown, which can take minutes; starting another bitcoind on the datadir before that would fail
// on the datadir lock, or worse, find it half-flushed.

import { readFile, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { NETWORK_SUBDIRS, parseBitcoinConf } from '../bitcoin/index.js';
import type { ChainNetwork } from '../manifest/index.js';

const DEFAULT_RPC_PORT: Record<ChainNetwork, number> = {
  mainnet: 8332,
  testnet: 18332,
  testnet4: 48332,
  signet: 38332,
  regtest: 18443,
};

const SECTION: Record<ChainNetwork, string> = {
  mainnet: 'main',
  testnet: 'test',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
};

/** The RPC port and login bitcoind would use, as bitcoind reads them (a network's section first). */
export function rpcSettings(
  confText: string,
  network: ChainNetwork,
  argv: readonly string[] = [],
): { port: number; user?: string; password?: string } {
  const conf = parseBitcoinConf(confText);
  const section = conf.sections.get(SECTION[network]);
  // The running bitcoind's command line wins over its file, as in bitcoind (the last one counts).
  const fromArgs = argv
    .map((arg) => /^--?rpcport=(\d+)$/.exec(arg)?.[1])
    .filter((port) => port !== undefined)
    .pop();
  // Off mainnet, bitcoind ignores rpcport at the top level (it warns); in the network's section it counts.
  const portText =
    fromArgs ?? section?.get('rpcport') ?? (network === 'mainnet' ? conf.top.get('rpcport') : undefined);
  const port = Number(portText);
  const user = section?.get('rpcuser') ?? conf.top.get('rpcuser');
  const password = section?.get('rpcpassword') ?? conf.top.get('rpcpassword');
  return {
    port: Number.isInteger(port) && port > 0 ? port : DEFAULT_RPC_PORT[network],
    ...(user !== undefined && { user }),
    ...(password !== undefined && password !== '' && { password }),
  };
}

/** Asks the bitcoind on `datadir` to stop (RPC `stop`). Throws with what to do when it cannot. */
export async function askBitcoindToStop(datadir: string, network: ChainNetwork, pid?: number): Promise<void> {
  const confText = await readFile(join(datadir, 'bitcoin.conf'), 'utf8').catch(() => '');
  const argv =
    pid === undefined
      ? []
      : (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
  const settings = rpcSettings(confText, network, argv);
  const cookie = await readFile(join(datadir, NETWORK_SUBDIRS[network], '.cookie'), 'utf8').catch(
    () => undefined,
  );
  const login =
    cookie?.split(/\r?\n/)[0] ??
    (settings.password !== undefined ? `${settings.user ?? ''}:${settings.password}` : undefined);
  if (login === undefined) {
    throw new Error(
      `cannot log in to the bitcoind on ${datadir} (no .cookie, no rpcpassword in bitcoin.conf); stop it yourself (bitcoin-cli stop) and adopt again`,
    );
  }
  const body = JSON.stringify({ jsonrpc: '1.0', id: 'archy-adopt', method: 'stop', params: [] });
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: settings.port,
        method: 'POST',
        path: '/',
        timeout: 30_000,
        headers: {
          authorization: `Basic ${Buffer.from(login).toString('base64')}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  }).catch((error: unknown) => {
    throw new Error(
      `could not reach the bitcoind on ${datadir} at 127.0.0.1:${settings.port} (${(error as Error).message}); stop it yourself (bitcoin-cli stop) and adopt again`,
    );
  });
  if (answer.status !== 200) {
    throw new Error(
      `the bitcoind on ${datadir} refused 'stop' (HTTP ${answer.status}); stop it yourself (bitcoin-cli stop) and adopt again`,
    );
  }
}

/** Waits until process `pid` is gone; false when it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = await stat(`/proc/${pid}`).then(
      () => true,
      () => false,
    );
    if (!alive) return true;
    if (Date.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, intervalMs));
  }
}
