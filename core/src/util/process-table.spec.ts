import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendantsOf, processTable } from './process-table.js';

describe('processTable / descendantsOf', () => {
  it('sees a child and its grandchild under this process, with their command lines', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 31 & wait'], { stdio: 'ignore' });
    try {
      let below: string[] = [];
      for (let tries = 0; tries < 50 && !below.some((args) => args === 'sleep 31'); tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        below = descendantsOf(process.pid, processTable()).map((proc) => proc.args.join(' '));
      }
      expect(below).toContain('/bin/sh -c sleep 31 & wait');
      expect(below).toContain('sleep 31');
      expect(descendantsOf(child.pid!, processTable()).map((proc) => proc.args.join(' '))).toEqual([
        'sleep 31',
      ]);
    } finally {
      // Ours: the shell's process group ends with it.
      const sleeper = descendantsOf(child.pid!, processTable());
      for (const proc of sleeper) process.kill(proc.pid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });

  it('finds nothing below a process without children', () => {
    expect(descendantsOf(2 ** 22 + 1, processTable())).toEqual([]);
  });
});
