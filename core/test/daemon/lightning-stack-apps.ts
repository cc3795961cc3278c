// The Bitcoin & Lightning stack of issue 15 played by TEST DOUBLES, as an apps dir a test daemon
// offers (ARCHY_APPS_DIR): Bitcoin Core and Knots (the bitcoind double on regtest, exporting ZMQ),
// an LND-shaped app from the lightning double that provides `lightning-node` and uses a Bitcoin
// node, and the dependent double using both. Also what the tests read back: the Lightning app's
// files in its volume, the dependent double's findings, a container's secrets.

import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import {
  dependentDoubleImage,
  freePort,
  LIGHTNING_DOUBLE_DATA,
  LIGHTNING_DOUBLE_REST_PORT,
  lightningDoubleImage,
  lightningDoubleMacaroonPath,
  ROLE_DOUBLE_UID,
} from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { BITCOIN_APPS, writeBitcoinApps } from './bitcoin-apps.js';

const run = promisify(execFile);

/** The ZMQ topics the node exports (the ports of the repo's Bitcoin manifests). */
export const ZMQ = { rawblock: 28332, rawtx: 28333, hashblock: 28334, sequence: 28335 };
/** The gRPC port the Lightning app exports: the double serves none, but a wallet's URI names it. */
export const LIGHTNING_GRPC_PORT = 10009;
/** The Lightning app's volume and the files it exports, where the lightning double writes them. */
export const LIGHTNING_VOLUME = 'lnd';
export const TLS_CERT_PATH = 'tls.cert';
export const MACAROON_PATH = lightningDoubleMacaroonPath('regtest');
/** Methods the dependent may call (its -rpcwhitelist), and one it calls without being allowed. */
export const DEPENDENT_RPC_METHODS = ['getblockchaininfo', 'getblockhash'];
export const DEPENDENT_FORBIDDEN_METHOD = 'getnetworkinfo';

export interface LightningStack {
  appsDir: string;
  /** The Lightning app's id (the lightning double) and its published host ports (127.0.0.1 only). */
  lightning: string;
  grpcHostPort: number;
  restHostPort: number;
  /** The dependent double's id. */
  dependent: string;
}

/**
 * Writes the apps dir: Core and Knots with `exports.bitcoin-node` (regtest ports, ZMQ), the
 * Lightning app `lightning` and the dependent `dependent` (ids chosen by the caller, unique per run).
 */
export async function writeLightningStack(
  ids: { lightning: string; dependent: string },
  names = { lightning: 'Lightning Double', dependent: 'Dependent Double' },
): Promise<LightningStack> {
  const appsDir = await writeBitcoinApps();
  for (const id of BITCOIN_APPS) {
    const file = join(appsDir, id, 'manifest.yml');
    const manifest = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // writeBitcoinApps runs the node with -regtest: its RPC and P2P ports are regtest's.
    manifest.exports = { 'bitcoin-node': { rpcPort: 18443, p2pPort: 18444, zmq: ZMQ } };
    Object.assign(manifest.bitcoin as Record<string, unknown>, { rpcPort: 18443, p2pPort: 18444 });
    writeFileSync(file, stringify(manifest));
  }
  const grpcHostPort = await freePort();
  let restHostPort = await freePort();
  while (restHostPort === grpcHostPort) restHostPort = await freePort();
  const user = `"${ROLE_DOUBLE_UID}:${ROLE_DOUBLE_UID}"`;
  writeApp(appsDir, ids.lightning, [
    `id: ${ids.lightning}`,
    `name: ${names.lightning}`,
    'version: "1.0.0"',
    'category: lightning',
    'description: A TEST DOUBLE of an LND-shaped Lightning node (certificate, macaroon, REST getinfo).',
    `image: ${lightningDoubleImage()}`,
    'ports:',
    `  - { container: ${LIGHTNING_GRPC_PORT}, host: ${grpcHostPort}, expose: local }`,
    `  - { container: ${LIGHTNING_DOUBLE_REST_PORT}, host: ${restHostPort}, expose: local }`,
    `volumes: [{ mount: ${LIGHTNING_DOUBLE_DATA}, name: ${LIGHTNING_VOLUME} }]`,
    `security: { user: ${user} }`,
    'stopTimeout: 2s',
    // Healthy once it has written its macaroon: what a dependent is handed at its start.
    'health:',
    `  exec: { command: ["/bin/sh", "-c", "test -s ${LIGHTNING_DOUBLE_DATA}/${MACAROON_PATH}"] }`,
    '  interval: 1s',
    'provides: [lightning-node]',
    'lightning: { implementation: lnd, network: regtest }',
    'exports:',
    '  lightning-node:',
    `    grpcPort: ${LIGHTNING_GRPC_PORT}`,
    `    restPort: ${LIGHTNING_DOUBLE_REST_PORT}`,
    `    tlsCert: { volume: ${LIGHTNING_VOLUME}, path: ${TLS_CERT_PATH} }`,
    `    credential: { kind: macaroon, volume: ${LIGHTNING_VOLUME}, path: ${MACAROON_PATH} }`,
    'dependencies:',
    '  - { id: bitcoin-node, requires: healthy }',
  ]);
  writeApp(appsDir, ids.dependent, [
    `id: ${ids.dependent}`,
    `name: ${names.dependent}`,
    'version: "1.0.0"',
    'category: bitcoin',
    'description: A TEST DOUBLE of an app using a Bitcoin node and a Lightning node.',
    `image: ${dependentDoubleImage()}`,
    // It writes what it learns under /tmp; its secret files belong to its numeric user.
    `security: { user: ${user}, tmpfs: [/tmp] }`,
    'stopTimeout: 2s',
    'env:',
    `  DEPENDENT_DOUBLE_RPC_METHODS: "${[...DEPENDENT_RPC_METHODS.slice(0, 1), DEPENDENT_FORBIDDEN_METHOD].join(' ')}"`,
    '  DEPENDENT_DOUBLE_INTERVAL: "1"',
    'dependencies:',
    `  - { id: bitcoin-node, requires: healthy, rpcMethods: [${DEPENDENT_RPC_METHODS.join(', ')}] }`,
    '  - { id: lightning-node, requires: healthy }',
  ]);
  return { appsDir, lightning: ids.lightning, grpcHostPort, restHostPort, dependent: ids.dependent };
}

function writeApp(appsDir: string, id: string, lines: string[]): void {
  mkdirSync(join(appsDir, id));
  writeFileSync(join(appsDir, id, 'manifest.yml'), `${lines.join('\n')}\n`);
}

/** A file of a container-owned volume, as bytes (podman unshare: it belongs to the container's user). */
export async function readVolumeFile(
  dataDir: string,
  appId: string,
  volume: string,
  path: string,
): Promise<Buffer> {
  const { stdout } = await run('podman', ['unshare', 'cat', join(dataDir, 'apps', appId, volume, path)], {
    encoding: 'buffer',
  });
  return stdout;
}

/** What the dependent double found out, by its name (/env, /rpc/<method>, /zmq, /lightning, ...). */
export const dependentFinding = (dependent: string, name: string): Promise<string> =>
  podman(['exec', `archy-${dependent}`, 'cat', `/tmp/dependent-double/${name}`]);

/** A secret file of a container, e.g. `bitcoin-node-rpc-password`. */
export const secretIn = (appId: string, file: string): Promise<string> =>
  podman(['exec', `archy-${appId}`, 'cat', `/run/secrets/${file}`]).then((text) => text.trim());
