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
  let child: ChildProcess | undefined;
  afterEach(() => {
    // The whole group: killing only the shell would leave the spinning grandchild behind.
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    child = undefined;
  });

  it('sees a busy process tree use CPU and memory', async () => {
    // A shell whose child spins: the tree walk must reach the grandchild to see the CPU.
    child = spawn('/bin/sh', ['-c', `${JSON.stringify(process.execPath)} -e "for(;;){}" & wait`], {
      stdio: 'ignore',
      detached: true,
    });
    await once(child, 'spawn');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const usage = await sampleProcessTrees([child.pid!], { windowMs: 500 });
    const sample = usage.get(child.pid!);
    expect(sample?.cpuPercent).toBeGreaterThan(30);
    expect(sample?.memoryBytes).toBeGreaterThan(1024 * 1024);
  });

  it('leaves out roots that are not running', async () => {
    const usage = await sampleProcessTrees([0, 2 ** 22 + 1], { windowMs: 10 });
    expect(usage.size).toBe(0);
  });
});
