/**
 * Runs tasks one at a time per key, and tasks of different keys in parallel. The orchestrator
 * keys by app id: a user's stop and the monitor's restart of the same app can never interleave.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    // Forget the key once its queue drains, so ids of removed apps don't accumulate.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** True while any task for `key` is queued or running. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}
