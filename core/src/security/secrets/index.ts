// Public surface of per-app secrets: generation, encrypted storage, redaction, Podman injection.
export {
  rpcauth,
  checkRpcAuth,
  generatePassword,
  assertValidRpcUser,
  RPC_USER_PATTERN,
  type RpcAuth,
} from './rpcauth.js';
export { loadOrCreateMasterKey, masterKeyPath, MASTER_KEY_BYTES } from './master-key.js';
export {
  SecretStore,
  SECRET_NAME_PATTERN,
  NODE_SECRETS,
  MIN_SECRET_LENGTH,
  MAX_SECRET_BYTES,
  type SecretStoreOptions,
  type UnlockedStore,
} from './secret-store.js';
export {
  resolveMasterKeySource,
  describeMasterKeySource,
  MASTER_KEY_FILE_ENV,
  MASTER_KEY_CREDENTIAL,
  type MasterKeySource,
  type MasterKeyOrigin,
} from './master-key-source.js';
export { moveMasterKey, type MoveKeyOutcome } from './move-master-key.js';
export type { SecretEnvelope } from './envelope.js';
export { Redactor, REDACTED, SENSITIVE_KEY, pinoRedaction } from './redact.js';
export {
  createPodmanSecret,
  prepareSecretInjection,
  removePodmanSecrets,
  podmanSecretName,
  envSecretModeFor,
  withEnvFromSecretFiles,
  SECRET_NAME_LABEL,
  type EnvSecretMode,
  type PodmanSecretsApi,
  type SecretUse,
  type SecretInjection,
} from './podman-secrets.js';
export {
  withSecretReferences,
  shellQuote,
  type PreludePart,
  type SecretReferenceWrap,
} from './reference-prelude.js';
export { SecretsError } from './secrets-error.js';
