// Interfaces that carry credentials: what a provider exports (ports, chain, ZMQ, a Lightning
// node's certificate and credential), the per-dependent Bitcoin RPC logins, what the provider's
// container and each dependent's container get because of them, and how a user connects.
export {
  bitcoinNodeExport,
  exportFor,
  providedExports,
  type BitcoinNodeExport,
  type LightningNodeExport,
  type PortExport,
  type ProvidedExport,
  type ZmqTopic,
} from './provided.js';
export { providerArgs, type BoundDependent } from './provider-args.js';
export { exportEnv, secretFilesOf, envPrefix, SECRETS_DIR, type SecretFile } from './dependent-env.js';
export {
  rpcUserOf,
  ensureDependentLogin,
  dependentLogin,
  rotateDependentLogin,
  deleteDependentLogin,
  DEPENDENT_RPC_PASSWORD,
  DEPENDENT_RPC_COOKIE,
  type DependentLogin,
} from './rpc-credentials.js';
export {
  InterfaceWiring,
  readLightningFiles,
  RPC_LOGINS_LABEL,
  type InstalledView,
  type VolumeFileReader,
  type InterfaceWiringOptions,
  type ProviderAdditions,
  type DependentAdditions,
} from './wiring.js';
export { lndconnectUri, pemToDer } from './lndconnect.js';
export { connectionInfo, WEB_LOGIN, type ConnectionSources } from './connection-info.js';
