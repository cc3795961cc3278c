import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProcStat, parseVmRss, processTree, sampleProcessTrees, type ProcStat } from './proc-usage.js';

describe('parseProcStat', () => {
  it('reads pid, ppid and CPU ticks, whatever the command name holds', () => {
    // Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    //         utime stime cutime cstime ...
    const line = '4242 (my (odd) proc) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 12345 0 0';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 17, cpuTicks: 250 + 50 + 7 + 3 });
  });

  it('rejects a truncated line', () => {
    expect(parseProcStat('12 (sh) S 1')).toBeUndefined();
    expect(parseProcStat('garbage')).toBeUndefined();
  });
});

describe('parseVmRss', () => {
  it('reads VmRSS in bytes; kernel threads have none', () => {
    expect(parseVmRss('Name:\tsh\nVmPeak:\t  9000 kB\nVmRSS:\t    1536 kB\nThreads:\t1\n')).toBe(1536 * 1024);
    expect(parseVmRss('Name:\tkthreadd\nThreads:\t1\n')).toBeUndefined();
  });
});

describe('processTree', () => {
  const table = new Map<number, ProcStat>(
    [
      [1, 0],
      [10, 1],
      [11, 10],
      [12, 10],
      [13, 12],
      [20, 1],
    ].map(([pid, ppid]) => [pid!, { pid: pid!, ppid: ppid!, cpuTicks: 0 }]),
  );

  it('is the root and everything below it', () => {
    expect(processTree(10, table).sort((a, b) => a - b)).toEqual([10, 11, 12, 13]);
    expect(processTree(20, table)).toEqual([20]);
  });

  it('is empty when the root is gone', () => {
    expect(processTree(99, table)).toEqual([]);
  });
});

describe('sampleProcessTrees on this machine', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    // The whole group: killing only the shell would leave the spinning grandchild behind.
    for (const child of children.splice(0)) if (child.pid) process.kill(-child.pid, 'SIGKILL');
  });

  /** A shell whose child runs `script` in Node: the tree walk must reach the grandchild. */
  async function shellWithChild(script: string): Promise<number> {
    const child = spawn(
      '/bin/sh',
      ['-c', `${JSON.stringify(process.execPath)} -e ${JSON.stringify(script)} & wait`],
      {
        stdio: 'ignore',
        detached: true,
      },
    );
    children.push(child);
    await once(child, 'spawn');
    return child.pid!;
  }

  it('sees a busy process tree use CPU and memory, and an idle one not', async () => {
    const busy = await shellWithChild('for(;;){}');
    const idle = await shellWithChild('setTimeout(() => {}, 60_000)');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const usage = await sampleProcessTrees([busy, idle], { windowMs: 500 });
    // How much CPU the spinner gets depends on what else this machine runs (CI measured 27 % of
    // a core under the suite's load): the busy tree must show some, and more than the idle one.
    expect(usage.get(busy)?.cpuPercent).toBeGreaterThan(5);
    expect(usage.get(idle)?.cpuPercent).toBeLessThan(usage.get(busy)!.cpuPercent);
    expect(usage.get(busy)?.memoryBytes).toBeGreaterThan(1024 * 1024);
    expect(usage.get(idle)?.memoryBytes).toBeGreaterThan(1024 * 1024);
  });

  it('leaves out roots that are not running', async () => {
    const usage = await sampleProcessTrees([0, 2 ** 22 + 1], { windowMs: 10 });
    expect(usage.size).toBe(0);
  });
});
