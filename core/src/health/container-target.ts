// The ProbeTarget of one running container: how the monitor's probes reach an app without a
// Podman exec session — its published ports from the daemon, its network namespace with a short
// nsenter, and its other namespaces for an `exec:` probe (container-exec.ts).

import { readFile } from 'node:fs/promises';
import type { RpcCredentials } from './bitcoin-rpc-call.js';
import { execInContainer, type ContainerProcess, type ExecOutcome } from './container-exec.js';
import { runInNetns, type BoundedInput, type CommandOutcome } from './netns-probe.js';
import type { ProbeTarget } from './probe.js';

/** What the target needs of `podman inspect`. */
export interface InspectedContainer {
  State: { Pid: number };
  Config: { Env: string[] | null };
}

export interface ContainerTargetOptions {
  /** The app's id, for messages. */
  appId: string;
  /** Inspects the app's container now; undefined when there is none. */
  inspect(): Promise<InspectedContainer | undefined>;
  hostPortFor(containerPort: number): number | undefined;
  /** For a Bitcoin node: its RPC credentials, read when a probe needs them. */
  bitcoinRpcCredentials?(): Promise<RpcCredentials | undefined>;
}

interface Located extends ContainerProcess {
  /** Field 22 of /proc/PID/stat: a pid reused by another process has another start time. */
  startTime: string;
}

/**
 * A target for one start of a container (the monitor makes a new one each time): its main process
 * is looked up on the first probe that needs it, and again whenever that process is gone, so a pid
 * the kernel gave to another process is never entered.
 */
export function containerProbeTarget(options: ContainerTargetOptions): ProbeTarget {
  let located: Located | undefined;
  const noProcess = `'${options.appId}' has no running process`;

  const locate = async (): Promise<Located | undefined> => {
    if (located && (await startTimeOf(located.pid)) === located.startTime) return located;
    located = undefined;
    const inspect = await options.inspect();
    const pid = inspect?.State.Pid;
    if (!inspect || !pid) return undefined;
    const startTime = await startTimeOf(pid);
    const ids = await idsInside(pid);
    if (startTime === undefined || !ids) return undefined;
    located = { pid, startTime, ...ids, env: inspect.Config.Env ?? [] };
    return located;
  };

  const target: ProbeTarget = {
    hostPortFor: (containerPort) => options.hostPortFor(containerPort),
    exec: async (command, timeoutMs): Promise<ExecOutcome> => {
      const process = await locate();
      if (!process) return { exitCode: -1, output: noProcess };
      return execInContainer(process, command, timeoutMs);
    },
    inNetns: async (argv: string[], timeoutMs: number, input?: BoundedInput): Promise<CommandOutcome> => {
      const process = await locate();
      if (!process) return { exitCode: -1, output: noProcess, timedOut: false };
      return runInNetns(process.pid, argv, timeoutMs, input);
    },
  };
  if (options.bitcoinRpcCredentials) target.bitcoinRpcCredentials = options.bitcoinRpcCredentials;
  return target;
}

async function startTimeOf(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/**
 * The uid and gid the container's main process runs as, inside its user namespace: what Podman
 * made of the container's user (a name, a bare uid, the image's default), so an exec probe runs as
 * the app runs. /proc shows them as host ids; the namespace's maps turn them back.
 */
async function idsInside(pid: number): Promise<{ uid: number; gid: number } | undefined> {
  const [status, uidMap, gidMap] = await Promise.all(
    ['status', 'uid_map', 'gid_map'].map((file) => readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '')),
  );
  const hostId = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status ?? '');
    return match ? Number(match[1]) : undefined;
  };
  const uid = mapInside(hostId('Uid'), uidMap ?? '');
  const gid = mapInside(hostId('Gid'), gidMap ?? '');
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

/** A host id through a /proc/PID/{uid,gid}_map ("inside outside count" per line) to the id inside. */
export function mapInside(hostId: number | undefined, map: string): number | undefined {
  if (hostId === undefined) return undefined;
  for (const line of map.split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
    if (inside === undefined || outside === undefined || count === undefined) continue;
    if (hostId >= outside && hostId < outside + count) return inside + (hostId - outside);
  }
  return undefined;
}
