import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import { exportEnv, secretFilesOf } from './dependent-env.js';
import { bitcoinNodeExport, providedExports } from './provided.js';
import { providerArgs } from './provider-args.js';

const node = (extra: string[] = []) =>
  parseManifest(
    [
      'id: bitcoin-core',
      'name: Bitcoin Core',
      'version: "28.4"',
      'image: 127.0.0.1:5000/archy-test/bitcoin-core:28.4',
      'provides: [bitcoin-node]',
      'bitcoin: { implementation: core, network: signet }',
      ...extra,
    ].join('\n'),
    'node.yml',
  );

describe('what a provider exports', () => {
  it("gives a Bitcoin node's ports from its chain when the manifest names none, and its ZMQ topics in order", () => {
    const exported = bitcoinNodeExport(
      node(['exports:', '  bitcoin-node: { zmq: { sequence: 28335, rawblock: 28332 } }']),
    );
    expect(exported).toEqual({
      kind: 'bitcoin-node',
      rpcPort: 38332,
      p2pPort: 38333,
      chain: 'signet',
      zmq: [
        { topic: 'rawblock', port: 28332 },
        { topic: 'sequence', port: 28335 },
      ],
    });
  });

  it('treats any Bitcoin node that provides bitcoin-node as exporting it, exports: or not', () => {
    expect(providedExports(node()).get('bitcoin-node')).toMatchObject({ rpcPort: 38332, zmq: [] });
  });
});

describe("the node's arguments for its dependents", () => {
  const exported = bitcoinNodeExport(node(['exports: { bitcoin-node: { zmq: { rawtx: 28333 } } }']))!;

  it('whitelists only the dependents that named methods, and keeps the rest unrestricted', () => {
    expect(
      providerArgs(exported, [
        { id: 'mempool', user: 'archy-mempool', rpcMethods: ['getblock', 'getblockhash'] },
        { id: 'lnd', user: 'archy-lnd' },
      ]),
    ).toEqual([
      '-rpcwhitelist=archy-mempool:getblock,getblockhash',
      '-rpcwhitelistdefault=0',
      '-zmqpubrawtx=tcp://0.0.0.0:28333',
    ]);
  });

  it('adds no whitelist argument while no dependent names methods', () => {
    expect(providerArgs(exported, [{ id: 'lnd', user: 'archy-lnd' }])).toEqual([
      '-zmqpubrawtx=tcp://0.0.0.0:28333',
    ]);
  });
});

describe("a dependent's env", () => {
  it('names host, ports, chain, ZMQ endpoints, the user and the secret files — never a secret', () => {
    const exported = bitcoinNodeExport(node(['exports: { bitcoin-node: { zmq: { rawblock: 28332 } } }']))!;
    expect(exportEnv('bitcoin-node', 'bitcoin-node', exported, { user: 'archy-lnd' })).toEqual({
      ARCHY_DEP_BITCOIN_NODE_HOST: 'bitcoin-node',
      ARCHY_DEP_BITCOIN_NODE_RPC_PORT: '38332',
      ARCHY_DEP_BITCOIN_NODE_P2P_PORT: '38333',
      ARCHY_DEP_BITCOIN_NODE_CHAIN: 'signet',
      ARCHY_DEP_BITCOIN_NODE_ZMQ_RAWBLOCK: 'tcp://bitcoin-node:28332',
      ARCHY_DEP_BITCOIN_NODE_ZMQ_RAWBLOCK_PORT: '28332',
      ARCHY_DEP_BITCOIN_NODE_RPC_USER: 'archy-lnd',
      ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD_FILE: '/run/secrets/bitcoin-node-rpc-password',
      ARCHY_DEP_BITCOIN_NODE_RPC_COOKIE_FILE: '/run/secrets/bitcoin-node-rpc-cookie',
    });
  });

  it("names a Lightning node's endpoints and its certificate and macaroon files", () => {
    const lnd = parseManifest(
      [
        'id: lnd',
        'name: LND',
        'version: "0.18.0"',
        'image: 127.0.0.1:5000/archy-test/lnd:0.18.0',
        'volumes: [{ mount: /data, name: lnd }]',
        'provides: [lightning-node]',
        'lightning: { implementation: lnd, network: regtest }',
        'exports:',
        '  lightning-node:',
        '    grpcPort: 10009',
        '    restPort: 8080',
        '    tlsCert: { volume: lnd, path: tls.cert }',
        '    credential: { kind: macaroon, volume: lnd, path: admin.macaroon }',
      ].join('\n'),
      'lnd.yml',
    );
    const exported = providedExports(lnd).get('lightning-node')!;
    expect(Object.values(secretFilesOf('lightning-node', exported)).map((file) => file.target)).toEqual([
      'lightning-node-tls-cert',
      'lightning-node-macaroon',
    ]);
    expect(exportEnv('lightning-node', 'lightning-node', exported)).toEqual({
      ARCHY_DEP_LIGHTNING_NODE_HOST: 'lightning-node',
      ARCHY_DEP_LIGHTNING_NODE_GRPC_PORT: '10009',
      ARCHY_DEP_LIGHTNING_NODE_REST_PORT: '8080',
      ARCHY_DEP_LIGHTNING_NODE_CHAIN: 'regtest',
      ARCHY_DEP_LIGHTNING_NODE_TLS_CERT_FILE: '/run/secrets/lightning-node-tls-cert',
      ARCHY_DEP_LIGHTNING_NODE_MACAROON_FILE: '/run/secrets/lightning-node-macaroon',
    });
  });
});
