// CPU and memory of a container read from /proc, for hosts where Podman has no cgroup stats
// (rootless on cgroups v1). A container is its host-side init process (inspect's State.Pid) and
// every process below it.

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * /proc's CPU times are in USER_HZ ticks, which Linux fixes at 100 on every architecture
 * userland sees (x86, arm64 included), whatever the kernel's internal HZ.
 */
const USER_HZ = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /**
   * utime + stime + cutime + cstime: CPU the process used, plus what its reaped children used.
   * Counting the children's share catches processes that start and exit inside one window.
   */
  cpuTicks: number;
}

/** One line of /proc/<pid>/stat. The command name is in parentheses and may hold anything. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // Fields after the name, from field 3 (state): ppid is field 4, utime..cstime fields 14-17.
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const field = (n: number): number => Number(rest[n - 3]);
  const stat = { pid, ppid: field(4), cpuTicks: field(14) + field(15) + field(16) + field(17) };
  return Object.values(stat).every(Number.isFinite) ? stat : undefined;
}

/**
 * Resident memory from /proc/<pid>/status, whose VmRSS is in kB whatever the page size — unlike
 * statm's page counts, which would need the page size (16 KiB on a Raspberry Pi 5 kernel).
 * Undefined for kernel threads, which have no VmRSS line.
 */
export function parseVmRss(statusText: string): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s*kB$/m.exec(statusText);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Every process's stat line, by pid. Processes that exit during the scan are skipped. */
export async function readProcessTable(procRoot = '/proc'): Promise<Map<number, ProcStat>> {
  const names = (await readdir(procRoot)).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(
    names.map((name) => readFile(join(procRoot, name, 'stat'), 'utf8').then(parseProcStat, () => undefined)),
  );
  const table = new Map<number, ProcStat>();
  for (const stat of stats) if (stat) table.set(stat.pid, stat);
  return table;
}

/** `rootPid` and all its descendants present in `table`; empty when the root is gone. */
export function processTree(rootPid: number, table: ReadonlyMap<number, ProcStat>): number[] {
  if (!table.has(rootPid)) return [];
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of table.values()) {
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
  }
  const tree: number[] = [];
  const pending = [rootPid];
  const seen = new Set<number>();
  while (pending.length > 0) {
    const pid = pending.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export interface ProcUsage {
  /** Percent of one CPU over the window (200 = two CPUs busy). */
  cpuPercent: number;
  /**
   * Sum of the processes' RSS. Pages shared between them (libraries, forked copies) count once
   * per process, so this can overstate what the container really holds; cgroup stats do not.
   */
  memoryBytes: number;
}

/**
 * CPU % over `windowMs` and memory at the end of it, for each root pid (a container's init). All
 * roots share one window, so a report on many apps costs one wait. A root that is not running
 * (or exits during the window) is absent from the result.
 */
export async function sampleProcessTrees(
  rootPids: readonly number[],
  options: { windowMs?: number; procRoot?: string } = {},
): Promise<Map<number, ProcUsage>> {
  const procRoot = options.procRoot ?? '/proc';
  const usage = new Map<number, ProcUsage>();
  const roots = rootPids.filter((pid) => pid > 0);
  if (roots.length === 0) return usage;

  const before = await readProcessTable(procRoot);
  const startedAt = performance.now();
  await sleep(options.windowMs ?? 250);
  const after = await readProcessTable(procRoot);
  const elapsedSeconds = (performance.now() - startedAt) / 1000;

  for (const root of roots) {
    const tree = processTree(root, after);
    if (tree.length === 0) continue;
    // Tree sums rather than per-pid deltas: a child alive at the start and reaped since shows up
    // at the end in its parent's cutime, and subtracting its start value keeps it counted once.
    const ticks = (table: ReadonlyMap<number, ProcStat>, pids: readonly number[]): number =>
      pids.reduce((sum, pid) => sum + (table.get(pid)?.cpuTicks ?? 0), 0);
    const deltaTicks = Math.max(0, ticks(after, tree) - ticks(before, processTree(root, before)));
    const rss = await Promise.all(
      tree.map((pid) =>
        readFile(join(procRoot, String(pid), 'status'), 'utf8').then(parseVmRss, () => undefined),
      ),
    );
    usage.set(root, {
      cpuPercent: round1((deltaTicks / USER_HZ / elapsedSeconds) * 100),
      memoryBytes: rss.reduce<number>((sum, bytes) => sum + (bytes ?? 0), 0),
    });
  }
  return usage;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
