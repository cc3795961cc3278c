import { parseJsonLines } from './json-lines.js';
import { encodeFilters, type PodmanTransport } from './transport.js';

export type PodmanEventType =
  'container' | 'image' | 'network' | 'pod' | 'volume' | 'system' | 'secret' | string;

/**
 * One Podman event. For containers, `action` is e.g. create, init, start, died, stop, remove,
 * cleanup, restart, exec, exec_died, health_status; `attributes` holds the container's labels
 * plus Podman's own keys (name, image, podId, containerExitCode).
 */
export interface PodmanEvent {
  type: PodmanEventType;
  action: string;
  id: string;
  name: string;
  image: string;
  attributes: Record<string, string>;
  /** Unix seconds. */
  time: number;
  timeNano: number;
  /** For `died`: the exit code. */
  exitCode?: number;
  /** For `health_status`: healthy | unhealthy | starting. */
  healthStatus?: string;
}

export interface EventsOptions {
  /** Podman's event filters, e.g. `{ type: ['container'], label: ['k=v'], event: ['died'] }`. */
  filters?: Record<string, string[]>;
  /** Replay from this time (unix seconds or RFC 3339); Podman's `file` event logger keeps history. */
  since?: number | string;
  until?: number | string;
  /** false: deliver the history and end. Default true: keep streaming. */
  stream?: boolean;
  signal?: AbortSignal;
}

interface RawEvent {
  Type: string;
  Action: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  from?: string;
  time: number;
  timeNano: number;
  HealthStatus?: string;
}

export function toPodmanEvent(raw: RawEvent): PodmanEvent {
  const attributes = raw.Actor?.Attributes ?? {};
  const event: PodmanEvent = {
    type: raw.Type,
    action: raw.Action,
    id: raw.Actor?.ID ?? '',
    name: attributes.name ?? '',
    image: attributes.image ?? raw.from ?? '',
    attributes,
    time: raw.time,
    timeNano: raw.timeNano,
  };
  const exitCode = attributes.containerExitCode;
  if (raw.Action === 'died' && exitCode !== undefined) event.exitCode = Number(exitCode);
  if (raw.HealthStatus) event.healthStatus = raw.HealthStatus;
  return event;
}

/**
 * Opens the events stream and resolves once Podman has answered (so a caller knows it is
 * connected); the returned iterable then yields events until the stream ends or aborts.
 */
export async function openEvents(
  t: PodmanTransport,
  options: EventsOptions = {},
): Promise<AsyncIterable<PodmanEvent>> {
  const response = await t.stream('GET', '/libpod/events', {
    query: {
      stream: options.stream ?? true,
      filters: encodeFilters(options.filters),
      since: options.since,
      until: options.until,
    },
    signal: options.signal,
    timeoutMs: 30_000,
  });
  return (async function* () {
    try {
      for await (const raw of parseJsonLines<RawEvent>(response.body)) yield toPodmanEvent(raw);
    } catch (err) {
      if (options.signal?.aborted) return;
      throw err;
    } finally {
      response.body.destroy();
    }
  })();
}

/** Podman events as they happen (or from `since`), until `signal` aborts or the service goes away. */
export async function* events(t: PodmanTransport, options: EventsOptions = {}): AsyncGenerator<PodmanEvent> {
  yield* await openEvents(t, options);
}
