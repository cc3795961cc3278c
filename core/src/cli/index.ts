// The archy CLI. main.ts is the executable; these are its reusable parts.
export { createProgram, runCli } from './program.js';
export { CliError, describeFailure } from './cli-error.js';
export { RpcClient, type DaemonEndpoint, type CallOptions } from './rpc-client.js';
export { openEventStream, eventStreamUrl, type DaemonEventStream, type DaemonMessage } from './ws-client.js';
export {
  resolveDaemonUrl,
  normalizeDaemonUrl,
  daemonRunFilePath,
  DEFAULT_DAEMON_URL,
} from './resolve-endpoint.js';
export { readDaemonCredentials, type DaemonCredentials } from './credentials.js';
