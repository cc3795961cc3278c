import { demuxLines, type StreamLine } from './log-demux.js';
import type { PodmanTransport } from './transport.js';

export interface LogsOptions {
  /** Keep the stream open and deliver new lines until `signal` aborts or the container is removed. */
  follow?: boolean;
  /** Only the last N lines of the history. */
  tail?: number;
  /** Unix seconds, or an RFC 3339 time. */
  since?: number | string;
  signal?: AbortSignal;
}

/** A container's stdout and stderr as lines, in the order Podman wrote them. */
export async function* containerLogs(
  t: PodmanTransport,
  id: string,
  options: LogsOptions = {},
): AsyncGenerator<StreamLine> {
  const response = await t.stream('GET', `/libpod/containers/${encodeURIComponent(id)}/logs`, {
    query: {
      stdout: true,
      stderr: true,
      follow: options.follow ?? false,
      tail: options.tail,
      since: options.since,
    },
    signal: options.signal,
  });
  try {
    yield* demuxLines(response.body);
  } catch (err) {
    // A caller's abort ends a follow: that is the normal way out, not a failure.
    if (options.signal?.aborted) return;
    throw err;
  } finally {
    response.body.destroy();
  }
}
