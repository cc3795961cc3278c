export { HealthMonitor, type HealthCheck } from './health-monitor.js';
export { HealthTracker, type HealthPolicy } from './health-tracker.js';
export { runProbe, type ProbeSpec, type ProbeTarget } from './probe.js';
export {
  RestartPolicy,
  DEFAULT_RESTART_POLICY,
  type RestartDecision,
  type RestartPolicyOptions,
} from './restart-policy.js';
export { healthCheckFor } from './health-check.js';
export { bitcoinRpcPort, blockchainInfoSync, describeSync, parseBlockchainInfo } from './bitcoin-sync.js';
export type { RpcCredentials } from './bitcoin-rpc-call.js';
export { runInNetns, type CommandOutcome } from './netns-probe.js';
export { execInContainer, type ContainerProcess, type ExecOutcome } from './container-exec.js';
export {
  containerProbeTarget,
  type ContainerTargetOptions,
  type InspectedContainer,
} from './container-target.js';
