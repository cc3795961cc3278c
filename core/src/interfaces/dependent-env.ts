// What a dependent's container learns about one dependency: plain env (never a secret) and the
// secret files it gets under /run/secrets. Names: ARCHY_DEP_<N>_… with <N> the requested name
// upper-cased, '-' → '_' (as dependency-env.ts does for _HOST and the ports). Pure.

import { envPrefix } from '../manifest/index.js';
import type { ProvidedExport } from './provided.js';

export const SECRETS_DIR = '/run/secrets';

/** One secret file in the dependent: its name under /run/secrets and the env that names its path. */
export interface SecretFile {
  /** File name under /run/secrets, e.g. `bitcoin-node-rpc-password`. */
  target: string;
  /** The env variable holding its path, e.g. ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD_FILE. */
  env: string;
}

export { envPrefix };

/** `<requested>-<file>`: per dependency, so two dependencies never share a file name. */
export function secretFile(requested: string, file: string): SecretFile {
  return {
    target: `${requested}-${file}`,
    env: `${envPrefix(requested)}_${file.toUpperCase().replace(/-/g, '_')}_FILE`,
  };
}

/** The secret files a dependency of this kind hands over (credential kind decides the last one). */
export function secretFilesOf(requested: string, exported: ProvidedExport): Record<string, SecretFile> {
  switch (exported.kind) {
    case 'bitcoin-node':
      return {
        password: secretFile(requested, 'rpc-password'),
        cookie: secretFile(requested, 'rpc-cookie'),
      };
    case 'lightning-node': {
      const files: Record<string, SecretFile> = {};
      if (exported.tlsCert) files.tlsCert = secretFile(requested, 'tls-cert');
      if (exported.credential) files.credential = secretFile(requested, exported.credential.kind);
      return files;
    }
    case 'port':
      return {};
  }
}

/** The plain env of one dependency (the secret files' paths included, never their content). */
export function exportEnv(
  requested: string,
  host: string,
  exported: ProvidedExport,
  login?: { user: string },
): Record<string, string> {
  const prefix = envPrefix(requested);
  const env: Record<string, string> = { [`${prefix}_HOST`]: host };
  const files = Object.values(secretFilesOf(requested, exported));
  switch (exported.kind) {
    case 'bitcoin-node':
      env[`${prefix}_RPC_PORT`] = String(exported.rpcPort);
      env[`${prefix}_P2P_PORT`] = String(exported.p2pPort);
      env[`${prefix}_CHAIN`] = exported.chain;
      for (const { topic, port } of exported.zmq) {
        env[`${prefix}_ZMQ_${topic.toUpperCase()}`] = `tcp://${host}:${port}`;
        // The port alone, for apps that take host and port apart (references: ${…_ZMQ_<TOPIC>_PORT}).
        env[`${prefix}_ZMQ_${topic.toUpperCase()}_PORT`] = String(port);
      }
      if (login) env[`${prefix}_RPC_USER`] = login.user;
      break;
    case 'lightning-node':
      if (exported.grpcPort !== undefined) env[`${prefix}_GRPC_PORT`] = String(exported.grpcPort);
      if (exported.restPort !== undefined) env[`${prefix}_REST_PORT`] = String(exported.restPort);
      if (exported.chain !== undefined) env[`${prefix}_CHAIN`] = exported.chain;
      break;
    case 'port':
      env[`${prefix}_PORT`] = String(exported.port);
      break;
  }
  // A bitcoin-node dependency without a login (no secret store) gets no file paths either.
  if (exported.kind !== 'bitcoin-node' || login)
    for (const file of files) env[file.env] = `${SECRETS_DIR}/${file.target}`;
  return env;
}
