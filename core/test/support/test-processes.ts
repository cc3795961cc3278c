// Every long-running process a test starts is ended, even when the test fails: the daemon harness
// registers each daemon and CLI child here, file-teardown.ts ends what is still alive when a test
// file finishes, and a process 'exit' hook SIGKILLs whatever is left if the worker goes down first.
//
// A daemon that was SIGKILLed on purpose (the crash tests) leaves its `podman system service`
// running: by design, since a restarted daemon reuses it (pid in <data-dir>/run/podman-service.pid).
// Such services are ended too: at file end for the data dirs the file's daemons used, and by the
// global teardown for any socket under the run's temp root. A pid is only signalled after its
// /proc/<pid>/cmdline shows it is that very service (pids are recycled).

import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

interface TrackedProcess {
  child: ChildProcess;
  what: string;
}

const tracked = new Set<TrackedProcess>();
const dataDirs = new Set<string>();
let exitHookInstalled = false;

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Registers a child process to be ended at the end of its test file, whatever happened. */
export function trackProcess(child: ChildProcess, what: string): void {
  if (child.pid === undefined || hasExited(child)) return;
  const entry = { child, what };
  tracked.add(entry);
  child.once('exit', () => tracked.delete(entry));
  installExitHook();
}

/** Registers a daemon's data dir: a Podman service a killed daemon left there is ended at file end. */
export function trackDataDir(dataDir: string): void {
  dataDirs.add(dataDir);
  installExitHook();
}

/** The tracked processes still running, as `what (pid N)`. */
export const trackedAlive = (): string[] =>
  [...tracked].filter((entry) => !hasExited(entry.child)).map((e) => `${e.what} (pid ${e.child.pid})`);

/**
 * Ends every tracked process still running: SIGTERM (a daemon then stops the Podman service it
 * owns), SIGKILL for whatever has not exited after `graceMs`. Returns what it had to end.
 */
export async function endTrackedProcesses(graceMs = 10_000): Promise<string[]> {
  const alive = [...tracked].filter((entry) => !hasExited(entry.child));
  const exits = alive.map(
    (entry) =>
      new Promise<void>((resolve) => {
        if (hasExited(entry.child)) resolve();
        else entry.child.once('exit', () => resolve());
      }),
  );
  for (const entry of alive) entry.child.kill('SIGTERM');
  const all = Promise.all(exits);
  const timedOut = await Promise.race([all.then(() => false), delay(graceMs).then(() => true)]);
  if (timedOut) {
    for (const entry of alive) if (!hasExited(entry.child)) entry.child.kill('SIGKILL');
    await all;
  }
  return alive.map((entry) => `${entry.what} (pid ${entry.child.pid})`);
}

/** Ends the Podman services left in the data dirs this file's daemons used; returns their pids. */
export async function endOrphanedPodmanServices(): Promise<number[]> {
  const ended: number[] = [];
  for (const dir of dataDirs) ended.push(...(await endPodmanServicesIn(dir)));
  return ended;
}

// ---------------------------------------------------------------------------------------------
// Processes by what /proc says they are

export interface ProcessInfo {
  pid: number;
  args: string[];
}

/** This user's processes (other than this one), with their command lines, from /proc. */
export function ownProcesses(): ProcessInfo[] {
  const uid = process.getuid?.();
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (uid !== undefined && statSync(`/proc/${entry}`).uid !== uid) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (args.length) found.push({ pid, args });
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

/** The environment a process started with (empty when it is gone or not ours). */
export function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}${sep}`);

/** The socket path of a `podman system service ... unix://<path>` command line, else undefined. */
export function podmanServiceSocket(args: readonly string[]): string | undefined {
  if (basename(args[0] ?? '') !== 'podman') return undefined;
  const system = args.indexOf('system');
  if (system === -1 || args[system + 1] !== 'service') return undefined;
  return args.find((arg) => arg.startsWith('unix://'))?.slice('unix://'.length);
}

/** Whether `pid` is, right now, a `podman system service` whose socket lies inside `dir`. */
export function isPodmanServiceIn(pid: number, dir: string): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const socket = podmanServiceSocket(args);
    return socket !== undefined && inside(socket, dir);
  } catch {
    return false;
  }
}

/**
 * Ends every `podman system service` whose socket lies inside `dir`: the one a daemon's pid file
 * names (<dir>/run/podman-service.pid) and any other /proc shows there (a test's own service, a
 * service whose pid file is gone). Each pid is checked against its command line first.
 */
export async function endPodmanServicesIn(dir: string): Promise<number[]> {
  const candidates = new Set<number>();
  try {
    const pid = Number.parseInt(readFileSync(join(dir, 'run', 'podman-service.pid'), 'utf8'), 10);
    if (Number.isInteger(pid) && pid > 1) candidates.add(pid);
  } catch {
    // No pid file: the daemon stopped its service, or never started one.
  }
  for (const proc of ownProcesses()) {
    const socket = podmanServiceSocket(proc.args);
    if (socket !== undefined && inside(socket, dir)) candidates.add(proc.pid);
  }
  const pids = [...candidates].filter((pid) => isPodmanServiceIn(pid, dir));
  await endPids(pids, (pid) => isPodmanServiceIn(pid, dir));
  return pids;
}

/**
 * SIGTERM, then SIGKILL after `graceMs`, to pids that are not our children (a killed daemon's
 * service was re-parented), re-checking `stillOurs` before each signal since pids are recycled.
 */
export async function endPids(
  pids: readonly number[],
  stillOurs: (pid: number) => boolean,
  graceMs = 10_000,
): Promise<void> {
  const signal = (pid: number, name: NodeJS.Signals): void => {
    if (!stillOurs(pid)) return;
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(stillOurs) && Date.now() < deadline) await delay(100);
  for (const pid of pids) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (pids.some(stillOurs) && Date.now() < killDeadline) await delay(50);
}

/** Whether a process's command line or ARCHY_DATA_DIR names something inside `root`. */
export function mentionsPath(proc: ProcessInfo, root: string): boolean {
  // `${root}/` or the root itself at the end: /tmp/archy-test-abc must not match /tmp/archy-test-abcd.
  if (proc.args.some((arg) => arg.includes(`${root}${sep}`) || arg.endsWith(root))) return true;
  const dataDir = environOf(proc.pid).find((entry) => entry.startsWith('ARCHY_DATA_DIR='));
  return dataDir !== undefined && inside(dataDir.slice('ARCHY_DATA_DIR='.length), root);
}

const isArchyProcess = (proc: ProcessInfo): boolean => proc.args.some((arg) => basename(arg) === 'archy.mjs');

/**
 * For the global teardown, once every test file is done: ends the daemons and CLI children of the
 * run (an `archy.mjs` command line naming a data dir under `root`) that survived their file, e.g.
 * because a worker died before its teardown. Returns what it ended.
 */
export async function endArchyProcessesUnder(root: string): Promise<string[]> {
  const found = ownProcesses().filter((proc) => isArchyProcess(proc) && mentionsPath(proc, root));
  const stillThere = (pid: number): boolean => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return mentionsPath({ pid, args }, root) && isArchyProcess({ pid, args });
    } catch {
      return false;
    }
  };
  await endPids(
    found.map((proc) => proc.pid),
    stillThere,
  );
  return found.map((proc) => `${proc.args.slice(1, 4).join(' ')} (pid ${proc.pid})`);
}

/** Every process of this user whose command line or ARCHY_DATA_DIR names something under `root`. */
export const processesUnder = (root: string): ProcessInfo[] =>
  ownProcesses().filter((proc) => mentionsPath(proc, root));

// ---------------------------------------------------------------------------------------------
// Last resort

/**
 * If the worker exits before the file's teardown ran (a crash, process.exit), SIGKILL by pid what
 * is left: the tracked children, then the services in the tracked data dirs. Synchronous, as an
 * 'exit' handler must be.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const entry of tracked) {
      if (hasExited(entry.child) || entry.child.pid === undefined) continue;
      try {
        process.kill(entry.child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const dir of dataDirs) {
      for (const proc of ownProcesses()) {
        const socket = podmanServiceSocket(proc.args);
        if (socket === undefined || !inside(socket, dir)) continue;
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  });
}
