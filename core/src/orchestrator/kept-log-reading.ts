// `archy logs --since/--until` and the UI's "Load earlier": an app's kept lines (logs/<id>/)
// across its containers, as LogLines with their time and container. Works for an app removed
// without purge too: its kept lines stay until a purge.

import { access } from 'node:fs/promises';
import { ArchyError, RpcErrorCode, type KeptLogLine, type LogLine } from '../kernel/index.js';
import type { DataLayout } from '../layout/index.js';
import type { KeptLogs } from '../logs/index.js';
import type { AppManifest } from '../manifest/index.js';
import { isMultiService } from './app-services.js';
import type { LogOptions } from './lifecycle.js';

export async function* readKeptLogs(
  kept: KeptLogs | undefined,
  app: { id: string; manifest: AppManifest | undefined; layout: DataLayout },
  options: LogOptions,
): AsyncGenerator<LogLine> {
  const { id, manifest } = app;
  if (!kept) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      'this node keeps no logs (its daemon runs with --kept-logs off); leave out since/until to read the current container',
    );
  }
  if (
    !manifest &&
    !(await access(app.layout.appLogsDir(id)).then(
      () => true,
      () => false,
    ))
  ) {
    throw new ArchyError(
      RpcErrorCode.NotFound,
      `no app '${id}' is installed and none kept logs here; see 'archy list'`,
    );
  }
  const { service } = options;
  if (service !== undefined && manifest && !manifest.services.some((s) => s.name === service)) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `'${id}' has no service '${service}'; its services: ${manifest.services.map((s) => s.name).join(', ')}`,
    );
  }
  // A single-service app's lines carry no service, as they do from the current container.
  const tagged = !manifest || isMultiService(manifest);
  const toLogLine = (line: KeptLogLine): LogLine => ({
    stream: line.stream,
    line: line.text,
    ...(tagged && { service: line.service }),
    time: line.time,
    container: line.container,
  });
  const query = {
    ...(options.since !== undefined && { since: options.since }),
    ...(options.until !== undefined && { until: options.until }),
    ...(options.tail !== undefined && { tail: options.tail }),
    ...(service !== undefined && { service }),
  };
  try {
    if (options.follow) {
      const signal = options.signal ?? new AbortController().signal;
      for await (const line of kept.follow(id, query, signal)) yield toLogLine(line);
      return;
    }
    for (const line of await kept.read(id, query)) yield toLogLine(line);
  } catch (error) {
    if (error instanceof ArchyError) throw error;
    if (error instanceof Error && /is not an ISO time/.test(error.message)) {
      throw new ArchyError(RpcErrorCode.InvalidParams, error.message);
    }
    throw error;
  }
}
