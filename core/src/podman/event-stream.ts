import { Backoff } from '../util/backoff.js';
import { TypedEventBus } from '../util/event-bus.js';
import { openEvents, type PodmanEvent } from './events.js';
import type { PodmanTransport } from './transport.js';

export interface EventStreamEvents {
  event: PodmanEvent;
  /** Each (re)connection; `since` is what was asked for to fill the gap, if anything. */
  connected: { since: number | undefined };
  disconnected: { error: Error | undefined; retryInMs: number };
}

export interface EventStreamOptions {
  filters?: Record<string, string[]>;
  /** Start by replaying from here (unix seconds); default: only new events. */
  since?: number;
  /** First retry delay; doubles per failed attempt up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * A Podman event subscription that survives the service going away: on disconnect it reconnects
 * with backoff and asks for `since=<time of the last event seen>`, so events that happened while
 * disconnected are delivered, and drops the ones it already delivered (Podman's `since` has
 * one-second resolution, so the last second is always replayed).
 */
export class EventStream {
  private readonly bus = new TypedEventBus<EventStreamEvents>();
  private readonly abort = new AbortController();
  private readonly delivered = new Map<string, number>();
  private lastTime: number | undefined;
  /** Without `since`, events from before start() are not ours to deliver, even on replay. */
  private notBeforeNano = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly transport: PodmanTransport,
    private readonly options: EventStreamOptions = {},
  ) {
    this.lastTime = options.since;
  }

  on<E extends keyof EventStreamEvents & string>(
    event: E,
    listener: (payload: EventStreamEvents[E]) => void,
  ): () => void {
    return this.bus.on(event, listener);
  }

  /** Connects in the background; listeners see events from here on. */
  start(): this {
    if (this.lastTime === undefined) {
      const now = Date.now();
      this.lastTime = Math.floor(now / 1000);
      this.notBeforeNano = now * 1e6;
    }
    this.running ??= this.run();
    return this;
  }

  /** Ends the subscription; resolves when the connection is closed. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const backoff = new Backoff({
      initialMs: this.options.initialBackoffMs ?? 250,
      maxMs: this.options.maxBackoffMs ?? 10_000,
    });
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let error: Error | undefined;
      try {
        const since = this.lastTime;
        const stream = await openEvents(this.transport, { filters: this.options.filters, since, signal });
        backoff.reset();
        this.bus.emit('connected', { since });
        for await (const event of stream) this.deliver(event);
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
      }
      if (signal.aborted) break;
      const retryInMs = backoff.next();
      this.bus.emit('disconnected', { error, retryInMs });
      await sleep(retryInMs, signal);
    }
  }

  private deliver(event: PodmanEvent): void {
    const key = `${event.timeNano}|${event.type}|${event.action}|${event.id}`;
    if (this.delivered.has(key) || event.timeNano < this.notBeforeNano) return;
    this.delivered.set(key, event.timeNano);
    this.lastTime = Math.max(this.lastTime ?? 0, event.time);
    this.forgetOlderThan(this.lastTime);
    this.bus.emit('event', event);
  }

  /** Only events in the replayed second can come again; older keys are dead weight. */
  private forgetOlderThan(seconds: number): void {
    if (this.delivered.size < 256) return;
    const cutoff = seconds * 1e9;
    for (const [key, timeNano] of this.delivered) if (timeNano < cutoff) this.delivered.delete(key);
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
