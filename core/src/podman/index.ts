// Public surface of the Podman client: import from here, not from the modules.
export { PodmanClient } from './client.js';
export { PodmanError, isPodmanNotFound } from './errors.js';
export type {
  ContainerCreateSpec,
  PortMapping,
  BindMount,
  TmpfsMount,
  ContainerMount,
  ResourceLimits,
  HealthConfig,
  SecretMount,
  LogConfiguration,
} from './container-spec.js';
export { assertKnownSpecFields } from './container-spec.js';
export type {
  ContainerInspect,
  ContainerSummary,
  ListContainersOptions,
  ExecResult,
  HealthcheckResult,
  ContainerStats,
} from './containers.js';
export type { ImageInspect } from './images.js';
export type { PullOptions } from './pull.js';
export type { PullProgressUpdate } from './pull-progress.js';
export type { LogsOptions } from './logs.js';
export type { StreamLine, StreamName, LogFrame } from './log-demux.js';
export { FrameDemuxer, LineSplitter, demuxLines } from './log-demux.js';
export type { PodmanEvent, PodmanEventType, EventsOptions } from './events.js';
export { EventStream, type EventStreamEvents, type EventStreamOptions } from './event-stream.js';
export type { NetworkCreateOptions, NetworkInspect } from './networks.js';
export type { SecretInfo } from './secrets.js';
export type { PodmanInfo } from './system.js';
export { startPodmanService, type PodmanService, type PodmanServiceOptions } from './service.js';
export { containerName, networkName, LABEL, labelsFor } from './naming.js';
export {
  runPodman,
  PodmanCliError,
  type PodmanCliOptions,
  type PodmanCliResult,
  type PodmanCliFailure,
} from './cli.js';
