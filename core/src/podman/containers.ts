import { assertKnownSpecFields, type ContainerCreateSpec } from './container-spec.js';
import { isPodmanNotFound, PodmanError } from './errors.js';
import { collectFramed } from './log-demux.js';
import { firstTarFile } from './tar-file.js';
import { encodeFilters, labelFilters, type PodmanTransport } from './transport.js';

/** A typed subset of `GET /libpod/containers/{id}/json`. */
export interface ContainerInspect {
  Id: string;
  /** Without the leading slash Docker uses. */
  Name: string;
  Image: string;
  ImageName: string;
  Created: string;
  RestartCount: number;
  State: {
    /** created | running | paused | stopping | stopped | exited | removing | unknown */
    Status: string;
    Running: boolean;
    Paused: boolean;
    OOMKilled: boolean;
    Dead: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string; FailingStreak: number };
  };
  Config: {
    Labels: Record<string, string> | null;
    Env: string[] | null;
    Cmd: string[] | null;
    User: string;
    StopTimeout: number;
    Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; Retries?: number };
  };
  HostConfig: {
    Binds: string[] | null;
    PortBindings: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    /** Bytes; 0 when unlimited — or when the host ignores limits (cgroup v1 rootless). */
    Memory: number;
    MemoryReservation: number;
    CpuQuota: number;
    CpuPeriod: number;
    PidsLimit: number;
    CapAdd: string[] | null;
    CapDrop: string[] | null;
    ReadonlyRootfs: boolean;
    SecurityOpt: string[] | null;
    Tmpfs: Record<string, string> | null;
    Init: boolean;
    NetworkMode: string;
  };
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks: Record<string, { IPAddress: string; Aliases: string[] | null; NetworkID: string }> | null;
  };
  Mounts: { Type: string; Source: string; Destination: string; RW: boolean; Options: string[] }[];
}

/** A typed subset of one entry of `GET /libpod/containers/json`. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  State: string;
  Labels: Record<string, string> | null;
  ExitCode: number;
  Exited: boolean;
  /** Unix seconds. */
  StartedAt: number;
  Created: string;
  Networks: string[] | null;
}

export interface ListContainersOptions {
  /** Include stopped containers (default true: the daemon tracks every state). */
  all?: boolean;
  /** label key → value; a `true` value matches any value of the key. */
  labels?: Record<string, string | true>;
  names?: string[];
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
  stdout: string;
  stderr: string;
}

export interface HealthcheckResult {
  Status: 'healthy' | 'unhealthy' | 'starting' | string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[] | null;
}

/** One-shot resource usage; undefined where the host cannot measure it (cgroup v1 rootless). */
export interface ContainerStats {
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  pids: number;
}

const containerPath = (id: string): string => `/libpod/containers/${encodeURIComponent(id)}`;

export async function createContainer(
  t: PodmanTransport,
  spec: ContainerCreateSpec,
  signal?: AbortSignal,
): Promise<{ id: string; warnings: string[] }> {
  assertKnownSpecFields(spec);
  const answer = await t.json<{ Id: string; Warnings: string[] | null }>(
    'POST',
    '/libpod/containers/create',
    {
      body: spec,
      signal,
    },
  );
  return { id: answer.Id, warnings: answer.Warnings ?? [] };
}

/** Starts a container; already running is fine (304). */
export async function startContainer(t: PodmanTransport, id: string, signal?: AbortSignal): Promise<void> {
  await t.call('POST', `${containerPath(id)}/start`, { signal, acceptStatus: [304] });
}

/**
 * Stops with SIGTERM, SIGKILL after `timeoutSeconds`; already stopped is fine (304). libpod 4.3
 * reads `timeout` (`t` is ignored there and the container's own stop_timeout applies).
 */
export async function stopContainer(
  t: PodmanTransport,
  id: string,
  timeoutSeconds: number,
  signal?: AbortSignal,
): Promise<void> {
  await t.call('POST', `${containerPath(id)}/stop`, {
    query: { timeout: timeoutSeconds, t: timeoutSeconds },
    signal,
    timeoutMs: graceMs(timeoutSeconds),
    acceptStatus: [304],
  });
}

/**
 * Podman 4.3 SIGKILLs at once on restart unless given a grace period, and its libpod endpoint
 * reads it from `timeout` (measured: `?t=3` is ignored and kills in 0.4 s; `?timeout=3` waits
 * 3 s). `t` is sent as well for the compat spelling.
 */
export async function restartContainer(
  t: PodmanTransport,
  id: string,
  timeoutSeconds: number,
  signal?: AbortSignal,
): Promise<void> {
  await t.call('POST', `${containerPath(id)}/restart`, {
    query: { timeout: timeoutSeconds, t: timeoutSeconds },
    signal,
    timeoutMs: graceMs(timeoutSeconds),
  });
}

/** Removes a container; false when there was none. */
export async function removeContainer(
  t: PodmanTransport,
  id: string,
  options: { force?: boolean; volumes?: boolean; signal?: AbortSignal } = {},
): Promise<boolean> {
  try {
    await t.json('DELETE', containerPath(id), {
      query: { force: options.force, v: options.volumes },
      signal: options.signal,
      timeoutMs: graceMs(30),
    });
    return true;
  } catch (err) {
    if (isPodmanNotFound(err)) return false;
    throw err;
  }
}

export async function inspectContainer(
  t: PodmanTransport,
  id: string,
  signal?: AbortSignal,
): Promise<ContainerInspect | undefined> {
  try {
    return await t.json<ContainerInspect>('GET', `${containerPath(id)}/json`, { signal });
  } catch (err) {
    if (isPodmanNotFound(err)) return undefined;
    throw err;
  }
}

export async function listContainers(
  t: PodmanTransport,
  options: ListContainersOptions = {},
): Promise<ContainerSummary[]> {
  const filters = encodeFilters({ label: labelFilters(options.labels), name: options.names ?? [] });
  const list = await t.json<ContainerSummary[] | null>('GET', '/libpod/containers/json', {
    query: { all: options.all ?? true, filters },
    signal: options.signal,
  });
  return list ?? [];
}

/** Waits until the container is no longer running and returns its exit code. */
export async function waitContainer(
  t: PodmanTransport,
  id: string,
  options: {
    condition?: 'stopped' | 'exited' | 'running' | 'healthy';
    signal?: AbortSignal;
    timeoutMs?: number;
  } = {},
): Promise<number> {
  return t.json<number>('POST', `${containerPath(id)}/wait`, {
    query: { condition: options.condition ?? 'stopped' },
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 0,
  });
}

/**
 * One regular file of a container's filesystem, read through the archive endpoint without
 * starting anything (Podman resolves links inside the container's root). Undefined when the path
 * does not exist or is not a regular file; a PodmanError when it is larger than `maxBytes`.
 */
export async function readContainerFile(
  t: PodmanTransport,
  id: string,
  path: string,
  options: { maxBytes: number; signal?: AbortSignal },
): Promise<Buffer | undefined> {
  const call = `GET ${containerPath(id)}/archive`;
  const response = await t.stream('GET', `${containerPath(id)}/archive`, {
    query: { path },
    signal: options.signal,
    timeoutMs: 30_000,
    acceptStatus: [404],
  });
  if (response.status === 404) {
    await response.body.dump();
    return undefined;
  }
  // A tar of one file: its header blocks, the content padded to 512, two zero blocks.
  const limit = options.maxBytes + 8 * 512;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      response.body.destroy();
      throw new PodmanError(call, response.status, `${path} is larger than ${options.maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  const entry = firstTarFile(Buffer.concat(chunks));
  if (entry.kind === 'malformed')
    throw new PodmanError(call, response.status, `unreadable archive of ${path}: ${entry.reason}`);
  if (entry.kind !== 'file') return undefined;
  if (entry.content.length > options.maxBytes)
    throw new PodmanError(call, response.status, `${path} is larger than ${options.maxBytes} bytes`);
  return entry.content;
}

/** Runs a command in a running container and collects its output (no tty). */
export async function execContainer(
  t: PodmanTransport,
  id: string,
  cmd: string[],
  options: { timeoutMs?: number; env?: string[]; user?: string; signal?: AbortSignal } = {},
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const call = `POST ${containerPath(id)}/exec`;
  try {
    const created = await t.json<{ Id: string }>('POST', `${containerPath(id)}/exec`, {
      body: { Cmd: cmd, AttachStdout: true, AttachStderr: true, Env: options.env, User: options.user },
      signal,
    });
    const started = await t.stream('POST', `/libpod/exec/${created.Id}/start`, {
      body: { Detach: false, Tty: false },
      signal,
    });
    const output = await collectFramed(started.body);
    const inspected = await t.json<{ ExitCode: number; Running: boolean }>(
      'GET',
      `/libpod/exec/${created.Id}/json`,
      {
        signal,
      },
    );
    return {
      exitCode: inspected.ExitCode,
      output: output.combined,
      stdout: output.stdout,
      stderr: output.stderr,
    };
  } catch (err) {
    if (deadline.aborted && !options.signal?.aborted) {
      throw new PodmanError(call, 0, `exec did not finish within ${timeoutMs} ms`, {
        cause: err,
        message: `podman ${call} timed out: '${cmd.join(' ')}' did not finish within ${timeoutMs} ms`,
      });
    }
    throw err;
  }
}

/** Runs the container's configured healthcheck once, now (we schedule probes ourselves). */
export async function runHealthcheck(
  t: PodmanTransport,
  id: string,
  signal?: AbortSignal,
): Promise<HealthcheckResult> {
  return t.json<HealthcheckResult>('GET', `${containerPath(id)}/healthcheck`, { signal });
}

interface RawStats {
  Error: unknown;
  Stats: { CPU: number; MemUsage: number; MemLimit: number; PIDs: number }[] | null;
}

export async function containerStats(
  t: PodmanTransport,
  id: string,
  signal?: AbortSignal,
): Promise<ContainerStats | undefined> {
  try {
    const raw = await t.json<RawStats>('GET', '/libpod/containers/stats', {
      query: { containers: id, stream: false },
      signal,
    });
    const s = raw.Stats?.[0];
    return s && { cpuPercent: s.CPU, memUsage: s.MemUsage, memLimit: s.MemLimit, pids: s.PIDs };
  } catch (err) {
    // 4.3 refuses stats on cgroup v1 rootless hosts with 409.
    if (err instanceof PodmanError && err.status === 409) return undefined;
    throw err;
  }
}

/** The HTTP call must outlive Podman's own grace period before SIGKILL. */
const graceMs = (seconds: number): number => (seconds + 30) * 1000;
