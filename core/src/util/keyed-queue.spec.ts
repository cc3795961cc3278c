import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './keyed-queue.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyedQueue', () => {
  it('runs tasks of one key strictly one after another, in order', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`${name}:start`);
      await tick(ms);
      log.push(`${name}:end`);
    };
    await Promise.all([
      queue.run('a', task('1', 20)),
      queue.run('a', task('2', 1)),
      queue.run('a', task('3', 5)),
    ]);
    expect(log).toEqual(['1:start', '1:end', '2:start', '2:end', '3:start', '3:end']);
  });

  it('runs different keys in parallel', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    await Promise.all([
      queue.run('a', async () => {
        log.push('a:start');
        await tick(20);
        log.push('a:end');
      }),
      queue.run('b', async () => {
        log.push('b:start');
        await tick(1);
        log.push('b:end');
      }),
    ]);
    expect(log).toEqual(['a:start', 'b:start', 'b:end', 'a:end']);
  });

  it('keeps going after a failed task and reports busy until drained', async () => {
    const queue = new KeyedQueue();
    const failed = queue.run('a', async () => {
      throw new Error('boom');
    });
    const next = queue.run('a', async () => 42);
    expect(queue.busy('a')).toBe(true);
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
    await tick(0);
    expect(queue.busy('a')).toBe(false);
  });
});
