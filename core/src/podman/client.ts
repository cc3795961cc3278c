import type { ContainerCreateSpec } from './container-spec.js';
import * as containers from './containers.js';
import { EventStream, type EventStreamOptions } from './event-stream.js';
import { events, type EventsOptions, type PodmanEvent } from './events.js';
import * as images from './images.js';
import { containerLogs, type LogsOptions } from './logs.js';
import type { StreamLine } from './log-demux.js';
import * as networks from './networks.js';
import { pullImage, type PullOptions } from './pull.js';
import * as secrets from './secrets.js';
import * as system from './system.js';
import { PodmanTransport } from './transport.js';

/**
 * A typed client of Podman's libpod REST API over its unix socket. One per socket; call
 * `close()` when done. Every method that waits on Podman takes an AbortSignal.
 */
export class PodmanClient {
  readonly socketPath: string;
  private readonly transport: PodmanTransport;

  constructor({ socketPath }: { socketPath: string }) {
    this.socketPath = socketPath;
    this.transport = new PodmanTransport(socketPath);
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  // --- system ---------------------------------------------------------------------------------
  ping(signal?: AbortSignal): Promise<void> {
    return system.ping(this.transport, signal);
  }

  info(signal?: AbortSignal): Promise<system.PodmanInfo> {
    return system.info(this.transport, signal);
  }

  // --- images ---------------------------------------------------------------------------------
  imageExists(ref: string, signal?: AbortSignal): Promise<boolean> {
    return images.imageExists(this.transport, ref, signal);
  }

  inspectImage(ref: string, signal?: AbortSignal): Promise<images.ImageInspect | undefined> {
    return images.inspectImage(this.transport, ref, signal);
  }

  removeImage(ref: string, options?: { force?: boolean; signal?: AbortSignal }): Promise<boolean> {
    return images.removeImage(this.transport, ref, options);
  }

  /** Pulls and returns the image id; throws PodmanError when the registry refuses. */
  pullImage(ref: string, options?: PullOptions): Promise<string> {
    return pullImage(this.transport, ref, options);
  }

  // --- containers -----------------------------------------------------------------------------
  createContainer(
    spec: ContainerCreateSpec,
    signal?: AbortSignal,
  ): Promise<{ id: string; warnings: string[] }> {
    return containers.createContainer(this.transport, spec, signal);
  }

  startContainer(id: string, signal?: AbortSignal): Promise<void> {
    return containers.startContainer(this.transport, id, signal);
  }

  stopContainer(id: string, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
    return containers.stopContainer(this.transport, id, timeoutSeconds, signal);
  }

  restartContainer(id: string, timeoutSeconds: number, signal?: AbortSignal): Promise<void> {
    return containers.restartContainer(this.transport, id, timeoutSeconds, signal);
  }

  removeContainer(
    id: string,
    options?: { force?: boolean; volumes?: boolean; signal?: AbortSignal },
  ): Promise<boolean> {
    return containers.removeContainer(this.transport, id, options);
  }

  inspectContainer(id: string, signal?: AbortSignal): Promise<containers.ContainerInspect | undefined> {
    return containers.inspectContainer(this.transport, id, signal);
  }

  listContainers(options?: containers.ListContainersOptions): Promise<containers.ContainerSummary[]> {
    return containers.listContainers(this.transport, options);
  }

  waitContainer(
    id: string,
    options?: {
      condition?: 'stopped' | 'exited' | 'running' | 'healthy';
      signal?: AbortSignal;
      timeoutMs?: number;
    },
  ): Promise<number> {
    return containers.waitContainer(this.transport, id, options);
  }

  /**
   * A libpod exec session. Not for anything periodic: Podman 4.3 keeps each session's conmon pair
   * alive for five minutes after it ends (health probes enter the container themselves instead,
   * see health/container-exec.ts).
   */
  execContainer(
    id: string,
    cmd: string[],
    options?: { timeoutMs?: number; env?: string[]; user?: string; signal?: AbortSignal },
  ): Promise<containers.ExecResult> {
    return containers.execContainer(this.transport, id, cmd, options);
  }

  /** One regular file of a container (started or not); undefined when there is none. */
  readContainerFile(
    id: string,
    path: string,
    options: { maxBytes: number; signal?: AbortSignal },
  ): Promise<Buffer | undefined> {
    return containers.readContainerFile(this.transport, id, path, options);
  }

  containerStats(id: string, signal?: AbortSignal): Promise<containers.ContainerStats | undefined> {
    return containers.containerStats(this.transport, id, signal);
  }

  runHealthcheck(id: string, signal?: AbortSignal): Promise<containers.HealthcheckResult> {
    return containers.runHealthcheck(this.transport, id, signal);
  }

  containerLogs(id: string, options?: LogsOptions): AsyncIterable<StreamLine> {
    return containerLogs(this.transport, id, options);
  }

  // --- events ---------------------------------------------------------------------------------
  events(options?: EventsOptions): AsyncIterable<PodmanEvent> {
    return events(this.transport, options);
  }

  /** A reconnecting subscription (see EventStream); call `start()` on it. */
  eventStream(options?: EventStreamOptions): EventStream {
    return new EventStream(this.transport, options);
  }

  // --- networks -------------------------------------------------------------------------------
  createNetwork(
    options: networks.NetworkCreateOptions,
    signal?: AbortSignal,
  ): Promise<networks.NetworkInspect> {
    return networks.createNetwork(this.transport, options, signal);
  }

  removeNetwork(name: string, options?: { force?: boolean; signal?: AbortSignal }): Promise<boolean> {
    return networks.removeNetwork(this.transport, name, options);
  }

  inspectNetwork(name: string, signal?: AbortSignal): Promise<networks.NetworkInspect | undefined> {
    return networks.inspectNetwork(this.transport, name, signal);
  }

  listNetworks(options?: {
    labels?: Record<string, string | true>;
    signal?: AbortSignal;
  }): Promise<networks.NetworkInspect[]> {
    return networks.listNetworks(this.transport, options);
  }

  connectNetwork(
    network: string,
    container: string,
    aliases?: string[],
    signal?: AbortSignal,
  ): Promise<void> {
    return networks.connectNetwork(this.transport, network, container, aliases, signal);
  }

  disconnectNetwork(
    network: string,
    container: string,
    options?: { force?: boolean; signal?: AbortSignal },
  ): Promise<void> {
    return networks.disconnectNetwork(this.transport, network, container, options);
  }

  // --- secrets --------------------------------------------------------------------------------
  createSecret(
    name: string,
    data: Buffer | string,
    labels?: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<string> {
    return secrets.createSecret(this.transport, name, data, labels, signal);
  }

  removeSecret(name: string, signal?: AbortSignal): Promise<boolean> {
    return secrets.removeSecret(this.transport, name, signal);
  }

  inspectSecret(name: string, signal?: AbortSignal): Promise<secrets.SecretInfo | undefined> {
    return secrets.inspectSecret(this.transport, name, signal);
  }

  listSecrets(options?: {
    labels?: Record<string, string>;
    signal?: AbortSignal;
  }): Promise<secrets.SecretInfo[]> {
    return secrets.listSecrets(this.transport, options);
  }
}
