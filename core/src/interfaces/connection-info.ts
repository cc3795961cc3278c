// How a user connects to an app's interfaces (`package.connection-info`): endpoints with the host
// ports the app publishes, credentials (secret values only when revealed) and, for an LND node,
// the lndconnect URI a wallet scans. Pure: the orchestrator gathers the values.

import type { ConnectionInfo, ConnectionInterface } from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';
import { lndconnectUri } from './lndconnect.js';
import {
  bitcoinNodeExport,
  providedExports,
  type BitcoinNodeExport,
  type ProvidedExport,
} from './provided.js';

export interface ConnectionSources {
  manifest: AppManifest;
  host: string;
  reveal: boolean;
  /** A Bitcoin node's own (admin) login. */
  adminLogin?: { user: string; password: string };
  /** A Lightning node's files, when they could be read. */
  lightning?: { certPem?: string; credential?: Buffer };
  /** The app's own logins at the Bitcoin nodes it uses. */
  logins?: Array<{ requested: string; provider: AppManifest; user: string; password: string }>;
  /**
   * The app's own web UI login (manifest `webLogin:`), references resolved. The password is only
   * read when revealing; otherwise pass '' for it (a secret's value is never sent unrevealed).
   */
  webLogin?: { username?: string; password?: string };
}

/** The interface entry that carries an app's web login. */
export const WEB_LOGIN = 'web-login';

/** Where a container port is reachable: its published host port on `host`, else only on the app's network. */
function reach(
  manifest: AppManifest,
  port: number,
  host: string,
): { host: string; port: number; note: string } {
  const published = manifest.ports.find((spec) => spec.container === port && spec.protocol === 'tcp');
  if (!published) return { host: manifest.id, port, note: ' (apps linked to it only)' };
  if (published.expose === 'local')
    return { host: '127.0.0.1', port: published.host, note: ' (this machine only)' };
  return { host, port: published.host, note: '' };
}

const secretValue = (name: string, value: string, reveal: boolean) => ({
  name,
  secret: true,
  ...(reveal && { value }),
});

function bitcoinEndpoints(manifest: AppManifest, exported: BitcoinNodeExport, host: string) {
  const rpc = reach(manifest, exported.rpcPort, host);
  const p2p = reach(manifest, exported.p2pPort, host);
  return [
    { name: `RPC${rpc.note}`, url: `http://${rpc.host}:${rpc.port}` },
    { name: `P2P${p2p.note}`, url: `${p2p.host}:${p2p.port}` },
    ...exported.zmq.map(({ topic, port }) => {
      const zmq = reach(manifest, port, host);
      return { name: `ZMQ ${topic}${zmq.note}`, url: `tcp://${zmq.host}:${zmq.port}` };
    }),
  ];
}

function describeExport(
  name: string,
  exported: ProvidedExport,
  sources: ConnectionSources,
): ConnectionInterface {
  const { manifest, host, reveal } = sources;
  switch (exported.kind) {
    case 'bitcoin-node': {
      const credentials: ConnectionInterface['credentials'] = [
        { name: 'Chain', secret: false, value: exported.chain },
      ];
      if (sources.adminLogin) {
        credentials.push({ name: 'RPC user', secret: false, value: sources.adminLogin.user });
        credentials.push(secretValue('RPC password', sources.adminLogin.password, reveal));
      }
      return { name, endpoints: bitcoinEndpoints(manifest, exported, host), credentials };
    }
    case 'lightning-node': {
      const endpoints: ConnectionInterface['endpoints'] = [];
      const grpc = exported.grpcPort !== undefined ? reach(manifest, exported.grpcPort, host) : undefined;
      if (grpc) endpoints.push({ name: `gRPC${grpc.note}`, url: `${grpc.host}:${grpc.port}` });
      if (exported.restPort !== undefined) {
        const rest = reach(manifest, exported.restPort, host);
        endpoints.push({ name: `REST${rest.note}`, url: `https://${rest.host}:${rest.port}` });
      }
      const credentials: ConnectionInterface['credentials'] = [];
      const files = sources.lightning ?? {};
      // The certificate is public (it proves the node to the wallet); shown in full.
      if (files.certPem !== undefined)
        credentials.push({ name: 'TLS certificate', secret: false, value: files.certPem });
      const kind = exported.credential?.kind;
      if (files.credential !== undefined && kind === 'macaroon') {
        credentials.push(secretValue('Macaroon (hex)', files.credential.toString('hex'), reveal));
      } else if (files.credential !== undefined && kind === 'rune') {
        credentials.push(secretValue('Rune', files.credential.toString('utf8').trim(), reveal));
      }
      const uri =
        reveal && grpc && kind === 'macaroon' && files.credential !== undefined
          ? lndconnectUri({
              host: grpc.host,
              port: grpc.port,
              ...(files.certPem !== undefined && { certPem: files.certPem }),
              macaroon: files.credential,
            })
          : undefined;
      return { name, endpoints, credentials, ...(uri !== undefined && { uri }) };
    }
    case 'port': {
      const at = reach(manifest, exported.port, host);
      return {
        name,
        endpoints: [{ name: `${name}${at.note}`, url: `${at.host}:${at.port}` }],
        credentials: [],
      };
    }
  }
}

export function connectionInfo(sources: ConnectionSources): ConnectionInfo {
  const { manifest, host, reveal } = sources;
  const interfaces: ConnectionInterface[] = [];
  for (const [name, exported] of providedExports(manifest))
    interfaces.push(describeExport(name, exported, sources));
  for (const login of sources.logins ?? []) {
    const exported = bitcoinNodeExport(login.provider);
    if (!exported) continue;
    // The dependent's own login, as its containers reach the node (by the requested name).
    interfaces.push({
      name: login.requested,
      provider: login.provider.id,
      endpoints: [
        { name: 'RPC (from the app)', url: `http://${login.requested}:${exported.rpcPort}` },
        ...exported.zmq.map(({ topic, port }) => ({
          name: `ZMQ ${topic} (from the app)`,
          url: `tcp://${login.requested}:${port}`,
        })),
      ],
      credentials: [
        { name: 'RPC user', secret: false, value: login.user },
        secretValue('RPC password', login.password, reveal),
      ],
    });
  }
  if (sources.webLogin) {
    const { username, password } = sources.webLogin;
    // The login of the app's own web page: always a secret password, whatever its origin.
    interfaces.push({
      name: WEB_LOGIN,
      endpoints: [],
      credentials: [
        ...(username !== undefined ? [{ name: 'Username', secret: false, value: username }] : []),
        ...(password !== undefined ? [secretValue('Password', password, reveal)] : []),
      ],
    });
  }
  return { id: manifest.id, host, interfaces };
}
