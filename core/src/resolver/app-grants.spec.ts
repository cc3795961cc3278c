import { describe, expect, it } from 'vitest';
import type { AppManifest, ServiceSpec } from '../manifest/index.js';
import { appGrants, grantLines, installPlanView } from './index.js';
import { available, bitcoinCore, manifest } from './spec-fixtures.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const security = { capAdd: [], readOnlyRootfs: true, tmpfs: [], noNewPrivileges: true };

function service(name: string, fields: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    image: `127.0.0.1:5000/umbrel/${name}:1.0@${DIGEST}`,
    env: {},
    ports: [],
    volumes: [],
    resources: {},
    security,
    stopTimeout: 30_000,
    dependsOn: [],
    uses: [],
    ...fields,
  };
}

const lightning = (): AppManifest =>
  manifest('lnd', {
    provides: ['lightning-node'],
    exports: {
      'lightning-node': {
        grpcPort: 10009,
        tlsCert: { volume: 'data', path: 'tls.cert' },
        credential: { volume: 'data', path: 'admin.macaroon', kind: 'macaroon' },
      },
    } as AppManifest['exports'],
  });

const core = (): AppManifest =>
  manifest('bitcoin-core', {
    ...bitcoinCore(),
    exports: { 'bitcoin-node': { zmq: { rawblock: 28332, rawtx: 28333 } } } as AppManifest['exports'],
  });

/** An imported app: a web service on the LAN with a database, Bitcoin and Lightning, an app password. */
const imported = (): AppManifest => {
  const web = service('web', {
    ports: [{ host: 3003, container: 3000, protocol: 'tcp', expose: 'lan' }],
    volumes: [{ name: 'data', mount: '/data', readOnly: false }],
    security: { ...security, user: '1000:1000', capAdd: ['NET_BIND_SERVICE'] },
    env: { ADMIN_PASSWORD: '${ARCHY_APP_PASSWORD}', RPC: '${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}' },
    uses: ['bitcoin-node', 'lightning-node'],
  });
  const db = service('db', {
    image: '127.0.0.1:5000/umbrel/postgres:15',
    ports: [{ host: 5433, container: 5432, protocol: 'tcp', expose: 'local' }],
  });
  return manifest('btcpay', {
    image: web.image,
    services: [web, db],
    main: 'web',
    dependencies: [
      { id: 'bitcoin-node', requires: 'running', rpcMethods: ['getblockchaininfo', 'getblock'] },
      {
        id: 'lightning-node',
        requires: 'running',
        files: { tlsCert: '/lnd/tls.cert', credential: '/lnd/admin.macaroon' },
      },
    ],
    origin: {
      kind: 'umbrel',
      app: 'btcpay-server',
      upstreamVersion: '2.0.6',
      source: 'getumbrel/umbrel-apps',
    },
  });
};

describe('appGrants', () => {
  it('lists what an imported app gets: images and their trust, ports, volumes, capabilities, dependencies, secrets', () => {
    const view = installPlanView({
      target: imported(),
      available: available(core(), lightning()),
      installed: [],
    });
    expect(view.grants).toEqual({
      app: 'btcpay',
      origin: {
        kind: 'umbrel',
        app: 'btcpay-server',
        upstreamVersion: '2.0.6',
        source: 'getumbrel/umbrel-apps',
      },
      services: [
        {
          service: 'web',
          image: `127.0.0.1:5000/umbrel/web:1.0@${DIGEST}`,
          trust: 'digest',
          user: '1000:1000',
          capabilities: ['NET_BIND_SERVICE'],
          ports: [{ host: 3003, container: 3000, protocol: 'tcp', expose: 'lan' }],
          volumes: [{ name: 'data', mount: '/data', readOnly: false }],
        },
        {
          service: 'db',
          image: '127.0.0.1:5000/umbrel/postgres:15',
          trust: 'signature',
          capabilities: [],
          ports: [{ host: 5433, container: 5432, protocol: 'tcp', expose: 'local' }],
          volumes: [],
        },
      ],
      dependencies: [
        {
          requested: 'bitcoin-node',
          interface: 'bitcoin-node',
          provider: 'bitcoin-core',
          handsOver: [
            'its own RPC login (archy-btcpay)',
            'RPC methods: getblockchaininfo, getblock',
            'ZMQ rawblock, rawtx',
          ],
        },
        {
          requested: 'lightning-node',
          interface: 'lightning-node',
          provider: 'lnd',
          handsOver: [
            "the node's admin macaroon file (also at /lnd/admin.macaroon)",
            'its TLS certificate (also at /lnd/tls.cert)',
            'gRPC port 10009',
          ],
        },
      ],
      secrets: ['app-password'],
    });
  });

  it('says "every RPC method" without a whitelist, and leaves the provider open while a choice is', () => {
    const target = manifest('explorer', {
      services: [service('main')],
      dependencies: [{ id: 'bitcoin-node', requires: 'running' }],
    });
    const bound = appGrants({
      manifest: target,
      dependencies: [{ requested: 'bitcoin-node', appId: 'bitcoin-core' }],
      manifestOf: (id) => (id === 'bitcoin-core' ? bitcoinCore() : undefined),
      bundled: false,
    });
    expect(bound.dependencies[0]!.handsOver).toEqual([
      'its own RPC login (archy-explorer)',
      'every RPC method',
    ]);
    // Not imported, not bundled: a digest pin is no reason to skip the signature.
    expect(bound.services[0]!.trust).toBe('signature');
    expect(bound.origin).toBeUndefined();
    const open = appGrants({
      manifest: target,
      dependencies: [],
      manifestOf: () => undefined,
      bundled: false,
    });
    expect(open.dependencies).toEqual([
      { requested: 'bitcoin-node', interface: 'bitcoin-node', handsOver: [] },
    ]);
  });

  it("counts a bundled manifest's digest pins as running unsigned, and the seed a web login references", () => {
    const target = manifest('demo', {
      services: [service('main')],
      webLogin: { username: 'admin', password: '${ARCHY_APP_SEED}' },
    });
    const grants = appGrants({
      manifest: target,
      dependencies: [],
      manifestOf: () => undefined,
      bundled: true,
    });
    expect(grants.services[0]!.trust).toBe('digest');
    expect(grants.secrets).toEqual(['app-seed']);
  });
});

describe('grantLines', () => {
  it('says each grant on a line of its own, LAN or local, signed or not', () => {
    const view = installPlanView({
      target: imported(),
      available: available(core(), lightning()),
      installed: [],
    });
    expect(grantLines(view.grants)).toEqual([
      `service web: image 127.0.0.1:5000/umbrel/web:1.0@${DIGEST} (pinned by digest, not signed by the catalog)`,
      '  runs as 1000:1000; capabilities added: NET_BIND_SERVICE',
      '  host port 3003/tcp → 3000 (open to the LAN)',
      "  keeps data in 'data' at /data",
      'service db: image 127.0.0.1:5000/umbrel/postgres:15 (signature checked)',
      "  runs as the image's own user (root refused); capabilities added: none",
      '  host port 5433/tcp → 5432 (this machine only)',
      'dependency bitcoin-node from bitcoin-core: its own RPC login (archy-btcpay); RPC methods: getblockchaininfo, getblock; ZMQ rawblock, rawtx',
      "dependency lightning-node from lnd: the node's admin macaroon file (also at /lnd/admin.macaroon); its TLS certificate (also at /lnd/tls.cert); gRPC port 10009",
      'a password the node generates for it (ARCHY_APP_PASSWORD)',
    ]);
  });
});
