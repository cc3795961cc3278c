// The log lines of several services of one app as one stream, each line marked with its
// service. Podman's lines carry no timestamps here, so a history is given service by service
// (in the order asked); a follow interleaves the services' lines as they arrive.

import type { LogLine } from '../kernel/index.js';

export interface ServiceLogSource {
  service: string;
  lines: AsyncIterable<{ stream: 'stdout' | 'stderr'; line: string }>;
}

export async function* mergeServiceLogs(
  sources: readonly ServiceLogSource[],
  options: { follow: boolean },
): AsyncGenerator<LogLine> {
  if (!options.follow) {
    for (const { service, lines } of sources) {
      for await (const { stream, line } of lines) yield { stream, line, service };
    }
    return;
  }
  const iterators = sources.map(({ service, lines }) => ({ service, it: lines[Symbol.asyncIterator]() }));
  const next = (index: number) => iterators[index]!.it.next().then((result) => ({ index, result }));
  const pending = new Map(iterators.map((_, index) => [index, next(index)]));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pending.set(index, next(index));
      yield { stream: result.value.stream, line: result.value.line, service: iterators[index]!.service };
    }
  } finally {
    await Promise.all(iterators.map(({ it }) => it.return?.()));
  }
}
