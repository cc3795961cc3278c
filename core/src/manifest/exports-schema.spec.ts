import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, type ManifestIssue } from './index.js';

const FILE = 'provider.yml';
const BASE = ['id: demo', 'name: Demo', 'version: "1.0.0"', 'image: 127.0.0.1:5000/apps/demo:1.0.0'];
const manifest = (...lines: string[]): string => [...BASE, ...lines].join('\n') + '\n';

function issuesOf(text: string): Array<Pick<ManifestIssue, 'path' | 'message' | 'suggestion'>> {
  try {
    parseManifest(text, FILE);
  } catch (error) {
    if (error instanceof ManifestError)
      return error.issues.map(({ path, message, suggestion }) => ({
        path,
        message,
        ...(suggestion !== undefined && { suggestion }),
      }));
    throw error;
  }
  throw new Error('expected the manifest to be refused');
}

const BITCOIN = ['bitcoin: { implementation: core, network: regtest, rpcPort: 18443 }'];
const LND_VOLUMES = ['volumes: [{ mount: /data/.lnd, name: lnd }]'];

describe('manifest exports', () => {
  it('reads a bitcoin-node export with ZMQ topics', () => {
    const parsed = parseManifest(
      manifest(
        ...BITCOIN,
        'provides: [bitcoin-node]',
        'exports:',
        '  bitcoin-node:',
        '    zmq: { rawblock: 28332, rawtx: 28333, hashblock: 28334, sequence: 28335 }',
      ),
      FILE,
    );
    expect(parsed.exports).toEqual({
      'bitcoin-node': { zmq: { rawblock: 28332, rawtx: 28333, hashblock: 28334, sequence: 28335 } },
    });
  });

  it('reads a lightning-node export with its certificate and macaroon in a volume', () => {
    const parsed = parseManifest(
      manifest(
        ...LND_VOLUMES,
        'provides: [lightning-node]',
        'exports:',
        '  lightning-node:',
        '    grpcPort: 10009',
        '    restPort: 8080',
        '    tlsCert: { volume: lnd, path: tls.cert }',
        '    credential: { kind: macaroon, volume: lnd, path: data/chain/bitcoin/mainnet/admin.macaroon }',
      ),
      FILE,
    );
    expect(parsed.exports?.['lightning-node']).toEqual({
      grpcPort: 10009,
      restPort: 8080,
      tlsCert: { volume: 'lnd', path: 'tls.cert' },
      credential: { kind: 'macaroon', volume: 'lnd', path: 'data/chain/bitcoin/mainnet/admin.macaroon' },
    });
  });

  it('reads any other interface as one port', () => {
    const parsed = parseManifest(
      manifest('provides: [electrum]', 'exports: { electrum: { port: 50001 } }'),
      FILE,
    );
    expect(parsed.exports).toEqual({ electrum: { port: 50001 } });
    expect(parseManifest(manifest(), FILE).exports).toBeUndefined();
  });

  it('refuses an export of an interface the app does not provide', () => {
    expect(
      issuesOf(manifest(...BITCOIN, 'provides: [bitcoin-node]', 'exports: { electrum: { port: 50001 } }')),
    ).toEqual([
      {
        path: 'exports.electrum',
        message:
          "exports 'electrum', which the app does not provide; add it to provides: or remove this export",
      },
    ]);
  });

  it('refuses an unknown interface kind written with more than a port', () => {
    const issues = issuesOf(
      manifest('provides: [nostr-relay]', 'exports: { nostr-relay: { port: 7000, tls: true } }'),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('exports["nostr-relay"].tls');
  });

  it('refuses a file in a volume the app does not have', () => {
    expect(
      issuesOf(
        manifest(
          ...LND_VOLUMES,
          'provides: [lightning-node]',
          'exports:',
          '  lightning-node: { grpcPort: 10009, tlsCert: { volume: data, path: tls.cert } }',
        ),
      ),
    ).toEqual([
      {
        path: 'exports["lightning-node"].tlsCert.volume',
        message: "'data' is not one of the app's volumes ('lnd'); name a volume listed under volumes:",
      },
    ]);
  });

  it('refuses a path that leaves the volume', () => {
    const issues = issuesOf(
      manifest(
        ...LND_VOLUMES,
        'provides: [lightning-node]',
        'exports:',
        '  lightning-node: { grpcPort: 10009, credential: { kind: macaroon, volume: lnd, path: ../secrets } }',
      ),
    );
    expect(issues.map((issue) => issue.path)).toEqual(['exports["lightning-node"].credential.path']);
    expect(issues[0]!.message).toMatch(/relative, no '\.' or '\.\.'/);
  });

  it('refuses a lightning export without an endpoint, and an unknown credential kind', () => {
    const lightning = (value: string) =>
      issuesOf(
        manifest(...LND_VOLUMES, 'provides: [lightning-node]', 'exports:', `  lightning-node: ${value}`),
      );
    expect(lightning('{ tlsCert: { volume: lnd, path: tls.cert } }')).toEqual([
      { path: 'exports["lightning-node"]', message: 'names no endpoint: add grpcPort:, restPort: or both' },
    ]);
    expect(
      lightning('{ grpcPort: 10009, credential: { kind: password, volume: lnd, path: x } }').map(
        (i) => i.path,
      ),
    ).toEqual(['exports["lightning-node"].credential.kind']);
  });

  it('refuses a bitcoin-node export without a bitcoin block, and a ZMQ port used twice', () => {
    expect(
      issuesOf(
        manifest(
          ...BITCOIN,
          'provides: [bitcoin-node]',
          'exports: { bitcoin-node: { zmq: { rawblock: 28332, rawtx: 28332 } } }',
        ),
      ),
    ).toEqual([
      {
        path: 'exports["bitcoin-node"].zmq.rawtx',
        message: 'port 28332 is already the rawblock port; give each ZMQ topic its own port',
      },
    ]);
    expect(
      issuesOf(manifest('provides: [bitcoin-node]', 'exports: { bitcoin-node: { rpcPort: 8332 } }')),
    ).toEqual([
      {
        path: 'exports["bitcoin-node"]',
        message:
          'a bitcoin-node export needs the bitcoin: block (the daemon passes each dependent’s RPC login to bitcoind); add one',
      },
    ]);
  });

  it('suggests the nearest key inside a known export', () => {
    const issues = issuesOf(
      manifest(...BITCOIN, 'provides: [bitcoin-node]', 'exports: { bitcoin-node: { rpcport: 8332 } }'),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'exports["bitcoin-node"].rpcport', suggestion: 'rpcPort' });
  });
});

describe('manifest dependencies: rpcMethods', () => {
  it('reads the methods a dependent may call', () => {
    const parsed = parseManifest(
      manifest('dependencies: [{ id: bitcoin-node, rpcMethods: [getblockchaininfo, getblock] }]'),
      FILE,
    );
    expect(parsed.dependencies[0]!.rpcMethods).toEqual(['getblockchaininfo', 'getblock']);
  });

  it('refuses an empty list, a method twice and a name that is no method', () => {
    expect(issuesOf(manifest('dependencies: [{ id: bitcoin-node, rpcMethods: [] }]'))).toEqual([
      {
        path: 'dependencies[0].rpcMethods',
        message: 'lists no method: remove rpcMethods to allow every method, or name the ones needed',
      },
    ]);
    expect(
      issuesOf(
        manifest('dependencies: [{ id: bitcoin-node, rpcMethods: [getblock, getblock, "get block"] }]'),
      ).map((issue) => issue.path),
    ).toEqual(['dependencies[0].rpcMethods[1]', 'dependencies[0].rpcMethods[2]']);
  });
});
