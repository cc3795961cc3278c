// An app's `exec:` health probe without a Podman exec session. Podman 4.3 starts each API exec
// session's conmon with `--exit-delay 300`: every probe would leave a conmon pair alive for five
// minutes (~20 processes and ~40 MB per app at a 30 s interval). Instead the daemon enters the
// container's namespaces itself — user, mount, network, pid, uts, ipc of its main process, as their
// owner it may — and runs the command there; when the command ends, nothing of it is left.
//
// The whole chain is the host's static busybox (Debian's busybox-static, which host-setup installs):
//   busybox setpriv --nnp busybox nsenter -t PID -U -m -n -p -u -i -r -w -S UID -G GID -- CMD...
// Static, because it starts with the container's environment (the command must see the image's
// PATH, HOME…): a dynamically linked host binary would take the image's LD_PRELOAD or
// LD_LIBRARY_PATH and could load a library from the image's layers as the daemon's own user.
//
// The command runs as the container's user, with no capabilities (nsenter drops them all when it
// leaves uid 0 of the namespace) and no-new-privileges (setpriv --nnp, which survives the nsenter
// and every exec after it), so no setuid or file-capability program in the image can give any back;
// its root and working directory are the app's own (-r, -w). What it does not get, unlike a podman
// exec: Podman's seccomp filter, the container's cgroup (its few milliseconds of CPU count as the
// daemon's), and supplementary groups.

import { spawn } from 'node:child_process';
import { lstat, readlink } from 'node:fs/promises';
import { constants } from 'node:os';
import { posix } from 'node:path';
import { HOST_BUSYBOX } from './netns-probe.js';

/** The container's main process and what a command run beside it takes from the container. */
export interface ContainerProcess {
  pid: number;
  /** The container's user, as ids inside its user namespace. */
  uid: number;
  gid: number;
  /** The container's environment (`Config.Env`), "NAME=value". */
  env: string[];
}

export interface ExecOutcome {
  exitCode: number;
  output: string;
  /** Killed, with everything it started, for running longer than the probe's timeout. */
  timedOut?: boolean;
}

/** Podman's PATH for a container whose image sets none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MAX_OUTPUT = 4096;

/** Runs `command` inside the container of `target`, bounded by `timeoutMs`. */
export async function execInContainer(
  target: ContainerProcess,
  command: string[],
  timeoutMs: number,
): Promise<ExecOutcome> {
  const [name, ...args] = command;
  if (name === undefined || name === '') return { exitCode: 126, output: 'exec: no command given' };
  // Root of the namespace keeps every capability there, and that user namespace is shared by all
  // of this user's rootless containers. The policy never runs an app as root; never run this so.
  if (target.uid === 0 || target.gid === 0) {
    return { exitCode: 126, output: 'exec: the container runs as root, so its exec probe is not run' };
  }
  const path = await findInContainer(target.pid, name, pathOf(target.env));
  // The same words as Podman's runtime, so a probe's detail reads as it did with podman exec.
  if (path === undefined)
    return { exitCode: 127, output: `exec: "${name}": executable file not found in $PATH` };
  const argv = [
    'setpriv',
    '--nnp',
    HOST_BUSYBOX,
    'nsenter',
    '-t',
    String(target.pid),
    '-U',
    '-m',
    '-n',
    '-p',
    '-u',
    '-i',
    '-r',
    '-w',
    '-S',
    String(target.uid),
    '-G',
    String(target.gid),
    '--',
    path,
    ...args,
  ];
  try {
    return await runGrouped(HOST_BUSYBOX, argv, environment(target.env), timeoutMs);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return {
      exitCode: 127,
      output: `cannot run exec probes: ${HOST_BUSYBOX} is missing; run scripts/host-setup.sh, which installs busybox-static`,
    };
  }
}

function environment(env: string[]): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const entry of env) {
    const at = entry.indexOf('=');
    if (at > 0) result[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return result;
}

const pathOf = (env: string[]): string =>
  env.find((entry) => entry.startsWith('PATH='))?.slice('PATH='.length) ?? DEFAULT_PATH;

/**
 * The command's absolute path in the container, found on its PATH as execvp would, or undefined.
 * Looked up by the daemon (through /proc/PID/root) because busybox's nsenter prefers its own applets
 * to a bare name: `wget` or `sh` would run the host's busybox instead of the image's program.
 */
export async function findInContainer(pid: number, name: string, path: string): Promise<string | undefined> {
  if (name.includes('/')) return posix.isAbsolute(name) ? name : posix.join('/', name);
  for (const dir of path.split(':')) {
    if (!posix.isAbsolute(dir)) continue;
    const candidate = posix.join(dir, name);
    if (await existsInRoot(`/proc/${pid}/root`, candidate)) return candidate;
  }
  return undefined;
}

/**
 * Whether `path` names a file inside the filesystem rooted at `root`. Symbolic links are followed
 * within that root: an absolute link in an image (/bin -> /usr/bin) means the image's /usr/bin,
 * never the host's.
 */
async function existsInRoot(root: string, path: string, hops = 0): Promise<boolean> {
  const parts = path.split('/').filter(Boolean);
  let resolved = '/';
  for (const [index, part] of parts.entries()) {
    const next = posix.join(resolved, part);
    const stat = await lstat(root + next).catch(() => undefined);
    if (!stat) return false;
    const last = index === parts.length - 1;
    if (stat.isSymbolicLink()) {
      if (hops >= 40) return false;
      const target = await readlink(root + next).catch(() => undefined);
      if (target === undefined) return false;
      const rest = parts.slice(index + 1).join('/');
      const base = posix.isAbsolute(target) ? target : posix.join(resolved, target);
      return existsInRoot(root, posix.join(base, rest), hops + 1);
    }
    if (last) return stat.isFile();
    if (!stat.isDirectory()) return false;
    resolved = next;
  }
  return false;
}

/**
 * Runs `command` as the leader of a process group of its own and, if it outlives `timeoutMs`,
 * SIGKILLs the whole group: nsenter's child (the probe's command, in the container's pid
 * namespace) and what that started. After a normal end, a group member still holding the output
 * pipes is killed too: nothing a probe starts outlives it, unless it left the group on purpose.
 */
function runGrouped(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let kept = 0;
    const keep = (chunk: Buffer) => {
      if (kept >= MAX_OUTPUT) return;
      chunks.push(chunk);
      kept += chunk.length;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const output = () => Buffer.concat(chunks).subarray(0, MAX_OUTPUT).toString('utf8');
    // Signals the group while its leader is unreaped (the timer) or while members still hold the
    // pipes (after exit): either way the group id cannot have been given to anyone else yet.
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    let piped = 2;
    let exited: { exitCode: number } | undefined;
    const settle = () => {
      if (!exited || piped > 0) return;
      resolve({ exitCode: exited.exitCode, output: output(), ...(timedOut && { timedOut }) });
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('close', () => {
        piped -= 1;
        settle();
      });
    }
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      exited = { exitCode: timedOut ? -1 : (code ?? 128 + (signal ? constants.signals[signal] : 0)) };
      settle();
      if (piped === 0) return;
      // Still open a moment later: something the command started holds its output. End it, then
      // stop waiting for it.
      setTimeout(() => {
        if (piped === 0) return;
        killGroup();
        child.stdout.destroy();
        child.stderr.destroy();
      }, 200).unref();
    });
  });
}
