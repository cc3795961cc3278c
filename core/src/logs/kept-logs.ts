// The apps' kept output (README "Kept logs"): conmon writes each container's lines into a spool
// file (log-spool.ts); a timer here moves them into the app's kept files (kept-log-files.ts) as
// KeptLogLine JSON, rotated by the per-app and total caps, and hands them to followers. A batch is
// kept exactly once whatever stops the daemon (ingest-state.ts); a spool is deleted only once
// its container is gone and its last line kept.

import { lstat, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeptLogLine } from '../kernel/index.js';
import type { DataLayout } from '../layout/index.js';
import { LABEL, type ContainerCreateSpec, type PodmanClient } from '../podman/index.js';
import { APP_ID_PATTERN } from '../util/app-id.js';
import type { AssembledLine } from './k8s-file.js';
import {
  appendToCurrent,
  CURRENT_LOG,
  enforceTotalCap,
  fileSize,
  keepNewestFiles,
  keptLogFiles,
  readKeptFile,
  rotateCurrent,
  truncateCurrent,
} from './kept-log-files.js';
import { DEFAULT_KEPT_LOG_LIMITS, type KeptLogLimits } from './kept-log-limits.js';
import { loadIngestState, saveIngestState, type IngestState, type SpoolCursor } from './ingest-state.js';
import { isSpoolName, LOG_SPOOL_LABEL, SpoolFile, spoolDirOf, withLogSpool } from './log-spool.js';
import { normaliseLogTime } from './log-time.js';

/** What a reader asks for; times are ISO (any precision), both ends included. */
export interface KeptLogQuery {
  since?: string;
  until?: string;
  /** The last N lines of what matches. */
  tail?: number;
  service?: string;
}

export interface KeptLogsOptions {
  layout: DataLayout;
  podman: Pick<PodmanClient, 'listContainers'>;
  limits?: KeptLogLimits;
  /** How often the spools are read (default 500 ms): a follower sees a line this much later. */
  pollMs?: number;
  logger: { warn(details: object, message: string): void; debug(details: object, message: string): void };
}

/** A spool read at most this much per pass; a fuller one is read again at once. */
const MAX_READ_BYTES = 256 * 1024;
/**
 * A spool is never smaller than this, whatever the kept files' cap: the daemon holds only the
 * spool file it reads open, so conmon must not replace two between reads (8 MiB in 0.5 s).
 */
const MIN_SPOOL_BYTES = 8 * 1024 * 1024;
/** How long a quiet spool waits before we ask Podman whether its container is still there. */
const GONE_CHECK_MS = 3000;

interface AppIngest {
  state: IngestState;
  files: Map<string, SpoolFile>;
  /** When each spool last gave nothing (for the gone check). */
  quietSince: Map<string, number>;
}

interface ContainerFacts {
  /** Short (12 hex) id. */
  id: string;
  service?: string;
}

export class KeptLogs {
  private readonly limits: KeptLogLimits;
  private readonly apps = new Map<string, AppIngest>();
  private readonly followers = new Map<string, Set<(lines: KeptLogLine[]) => void>>();
  /** Every ingest, read and purge runs on this chain: one at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private containers: { at: number; bySpool: Map<string, ContainerFacts> } | undefined;

  constructor(private readonly options: KeptLogsOptions) {
    this.limits = options.limits ?? DEFAULT_KEPT_LOG_LIMITS;
  }

  /** The create spec with the container's output captured into a spool. */
  captureInto(spec: ContainerCreateSpec, appId: string): Promise<ContainerCreateSpec> {
    return withLogSpool(spec, {
      layout: this.options.layout,
      appId,
      spoolBytes: Math.max(this.limits.fileBytes, MIN_SPOOL_BYTES),
    });
  }

  /** Reads every spool now (what a daemon that was down missed), then on a timer. */
  async start(): Promise<void> {
    await this.ingestAll();
    const tick = (): void => {
      this.timer = setTimeout(() => {
        void this.ingestAll().finally(() => {
          if (this.timer) tick();
        });
      }, this.options.pollMs ?? 500);
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.serial(async () => {
      for (const app of this.apps.values()) for (const file of app.files.values()) await file.close();
      this.apps.clear();
    });
  }

  /** The app's kept lines that match, oldest first, with everything its containers wrote until now. */
  read(id: string, query: KeptLogQuery): Promise<KeptLogLine[]> {
    return this.serial(async () => {
      await this.ingestApp(id);
      return this.readKept(id, query);
    });
  }

  /**
   * The matching kept lines, then every new one as it is kept, across container recreations,
   * until `signal` aborts. Nothing between the two is lost or repeated: both are taken on the chain.
   */
  async *follow(
    id: string,
    query: Omit<KeptLogQuery, 'until'>,
    signal: AbortSignal,
  ): AsyncGenerator<KeptLogLine> {
    const queue: KeptLogLine[] = [];
    let wake: (() => void) | undefined;
    const listener = (lines: KeptLogLine[]): void => {
      for (const line of lines)
        if (query.service === undefined || line.service === query.service) queue.push(line);
      wake?.();
    };
    const history = await this.serial(async () => {
      await this.ingestApp(id);
      const lines = await this.readKept(id, query);
      let set = this.followers.get(id);
      if (!set) this.followers.set(id, (set = new Set()));
      set.add(listener);
      return lines;
    });
    const onAbort = (): void => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      yield* history;
      while (!signal.aborted) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        yield* queue.splice(0);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.followers.get(id)?.delete(listener);
    }
  }

  /** Deletes logs/<id>/ (purge): its spools are read no more. */
  purge(id: string): Promise<void> {
    return this.serial(async () => {
      const app = this.apps.get(id);
      if (app) for (const file of app.files.values()) await file.close();
      this.apps.delete(id);
      const dir = this.options.layout.appLogsDir(id);
      const info = await lstat(dir).catch(() => undefined);
      // logs/ is the daemon's, but a link there would make rm delete what it points into.
      if (info?.isSymbolicLink()) await unlink(dir);
      else if (info) await rm(dir, { recursive: true, force: true });
    });
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task, task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private ingestAll(): Promise<void> {
    return this.serial(async () => {
      let names: string[];
      try {
        names = await readdir(this.options.layout.logsDir);
      } catch {
        return;
      }
      for (const id of names) {
        if (!APP_ID_PATTERN.test(id)) continue;
        try {
          await this.ingestApp(id);
        } catch (error) {
          this.options.logger.warn(
            { err: error, app: id },
            'could not keep the output of this app; trying again',
          );
        }
      }
    });
  }

  /** Moves everything the app's spools hold into its kept files (several passes for a full spool). */
  private async ingestApp(id: string): Promise<void> {
    const dir = this.options.layout.appLogsDir(id);
    const spoolDir = spoolDirOf(this.options.layout, id);
    const dirInfo = await lstat(dir).catch(() => undefined);
    const spoolInfo = await lstat(spoolDir).catch(() => undefined);
    if (!dirInfo?.isDirectory() || !spoolInfo?.isDirectory()) return;
    let app = this.apps.get(id);
    if (!app) {
      const state = await loadIngestState(spoolDir);
      if (state.pending !== undefined) {
        // A crash mid-append: the batch is read again from the old offsets, so cut its first try.
        await truncateCurrent(dir, state.pending);
        delete state.pending;
        await saveIngestState(spoolDir, state);
      }
      app = { state, files: new Map(), quietSince: new Map() };
      this.apps.set(id, app);
    }
    for (let pass = 0; pass < 64; pass += 1) {
      if (!(await this.ingestPass(id, dir, spoolDir, app))) return;
    }
  }

  /** One batch; true when a spool had more than one read's worth. */
  private async ingestPass(id: string, dir: string, spoolDir: string, app: AppIngest): Promise<boolean> {
    const names = (await readdir(spoolDir)).filter(isSpoolName);
    const present = new Set(names);
    let changed = false;
    const known = Object.keys(app.state.spools);
    if (known.some((name) => !present.has(name))) {
      app.state.spools = withoutSpools(app.state.spools, (name) => !present.has(name));
      changed = true;
    }
    // A batch goes into one file whole (ingest-state.ts), so it must fit in one: a kept line is
    // at most ~3 times its spool record (short lines; JSON's field names), so read an eighth.
    const readBytes = Math.max(
      4096,
      Math.min(MAX_READ_BYTES, Math.floor(this.limits.fileBytes / (8 * Math.max(1, names.length)))),
    );
    const batches: Array<{ name: string; cursor: SpoolCursor; lines: AssembledLine[] }> = [];
    const finished: string[] = [];
    const replaced: string[] = [];
    let more = false;
    for (const name of names) {
      let file = app.files.get(name);
      if (!file) {
        file = await SpoolFile.open(join(spoolDir, name));
        if (!file) continue;
        app.files.set(name, file);
      }
      let cursor = app.state.spools[name];
      if (!cursor) {
        const container = await this.containerOf(name, true);
        cursor = {
          ino: file.ino,
          offset: 0,
          service: container?.service ?? serviceOfSpool(id, name),
          // A container removed before the daemon saw its spool: the spool's nonce stands in.
          container: container?.id ?? name.split('.').at(-2) ?? '',
        };
        app.state.spools[name] = cursor;
        changed = true;
      } else if (cursor.ino !== file.ino) {
        // conmon replaced a full spool while no daemon held the old one open: its unread rest is gone.
        this.options.logger.warn(
          { app: id, spool: name },
          'a full log spool was replaced while the daemon was down; lines written then past the spool size are lost',
        );
        cursor.ino = file.ino;
        cursor.offset = 0;
        changed = true;
      }
      let read = await file.read(cursor.offset, readBytes, false);
      if (read.atEnd && read.lines.length === 0) {
        const now = Date.now();
        const quiet = app.quietSince.get(name) ?? now;
        app.quietSince.set(name, quiet);
        const isReplaced = await file.replaced();
        const gone = !isReplaced && now - quiet >= GONE_CHECK_MS && !(await this.containerOf(name, false));
        if (isReplaced || gone) {
          // Nobody writes this file any more: its last pieces are lines.
          read = await file.read(cursor.offset, readBytes, true);
          if (read.atEnd) (isReplaced ? replaced : finished).push(name);
        }
      } else {
        app.quietSince.delete(name);
      }
      if (!read.atEnd) more = true;
      if (read.resumeAt !== cursor.offset) changed = true;
      batches.push({ name, cursor: { ...cursor, offset: read.resumeAt }, lines: read.lines });
    }
    const kept = mergeByTime(
      batches.map(({ cursor, lines }) =>
        lines.map((line): KeptLogLine => ({
          time: line.time,
          service: cursor.service,
          stream: line.stream,
          container: cursor.container ?? '',
          text: line.text,
        })),
      ),
    );
    if (kept.length > 0) {
      const text = kept.map((line) => `${JSON.stringify(line)}\n`).join('');
      let size = await fileSize(join(dir, CURRENT_LOG));
      if (size > 0 && size + Buffer.byteLength(text) > this.limits.fileBytes) {
        await rotateCurrent(dir);
        await keepNewestFiles(dir, this.limits.files);
        await enforceTotalCap(this.options.layout.logsDir, this.limits.totalBytes, (name) =>
          APP_ID_PATTERN.test(name),
        );
        size = 0;
      }
      app.state.pending = size;
      await saveIngestState(spoolDir, app.state);
      await appendToCurrent(dir, text);
      delete app.state.pending;
    }
    for (const { name, cursor } of batches) app.state.spools[name] = cursor;
    // A finished spool goes before its cursor: a crash between leaves a cursor without a file
    // (dropped above), never a file without a cursor (which would be kept again from its start).
    for (const name of finished) {
      await app.files.get(name)?.close();
      app.files.delete(name);
      app.quietSince.delete(name);
      await rm(join(spoolDir, name), { force: true });
      app.state.spools = withoutSpools(app.state.spools, (spool) => spool === name);
      changed = true;
    }
    for (const name of replaced) {
      await app.files.get(name)?.close();
      app.files.delete(name);
      app.quietSince.delete(name);
      const file = await SpoolFile.open(join(spoolDir, name));
      const cursor = app.state.spools[name];
      if (file && cursor) {
        app.files.set(name, file);
        app.state.spools[name] = { ...cursor, ino: file.ino, offset: 0 };
      }
      changed = true;
    }
    if (changed || kept.length > 0) await saveIngestState(spoolDir, app.state);
    if (kept.length > 0) for (const listener of this.followers.get(id) ?? []) listener(kept);
    return more;
  }

  /** The container a spool belongs to; asks Podman again when `fresh` or the answer is old. */
  private async containerOf(spool: string, fresh: boolean): Promise<ContainerFacts | undefined> {
    const now = Date.now();
    if (
      !this.containers ||
      (fresh && !this.containers.bySpool.has(spool)) ||
      now - this.containers.at > GONE_CHECK_MS
    ) {
      const list = await this.options.podman.listContainers({
        labels: { [LABEL.dataDir]: this.options.layout.root, [LOG_SPOOL_LABEL]: true },
        all: true,
      });
      const bySpool = new Map<string, ContainerFacts>();
      for (const container of list) {
        const name = container.Labels?.[LOG_SPOOL_LABEL];
        const service = container.Labels?.[LABEL.service];
        if (name) bySpool.set(name, { id: container.Id.slice(0, 12), ...(service && { service }) });
      }
      this.containers = { at: now, bySpool };
    }
    return this.containers.bySpool.get(spool);
  }

  private async readKept(id: string, query: KeptLogQuery): Promise<KeptLogLine[]> {
    if (query.tail === 0) return [];
    const dir = this.options.layout.appLogsDir(id);
    const since = query.since === undefined ? undefined : normaliseLogTime(query.since);
    const until = query.until === undefined ? undefined : normaliseLogTime(query.until);
    const files = await keptLogFiles(dir);
    const chunks: KeptLogLine[][] = [];
    let count = 0;
    // Newest file first, so a tail stops early; a rotated file's name is the time of its first line.
    for (let index = files.length - 1; index >= 0; index -= 1) {
      const name = files[index]!;
      const firstTime = name === CURRENT_LOG ? undefined : name.replace(/(-\d+)?\.log$/, '');
      if (until !== undefined && firstTime !== undefined && firstTime > until) continue;
      const lines = (await readKeptFile(join(dir, name))).filter(
        (line) =>
          (since === undefined || line.time >= since) &&
          (until === undefined || line.time <= until) &&
          (query.service === undefined || line.service === query.service),
      );
      chunks.unshift(lines);
      count += lines.length;
      if (query.tail !== undefined && count >= query.tail) break;
      if (since !== undefined && firstTime !== undefined && firstTime < since) break;
    }
    const all = chunks.flat();
    return query.tail !== undefined ? all.slice(-query.tail) : all;
  }
}

/**
 * The service a spool's name says, when its container is gone before we saw its labels:
 * `archy-<id>_<service>.<nonce>.k8s` and `archy-<id>.<sidecar>.<nonce>.k8s` name one,
 * `archy-<id>.<nonce>.k8s` is the main service's.
 */
export function serviceOfSpool(id: string, name: string): string {
  const parts = name.slice(`archy-${id}`.length).split('.');
  if (parts[0]?.startsWith('_')) return parts[0].slice(1) || 'main';
  return parts.length === 4 && parts[1] ? parts[1] : 'main';
}

function withoutSpools(
  spools: IngestState['spools'],
  drop: (name: string) => boolean,
): IngestState['spools'] {
  return Object.fromEntries(Object.entries(spools).filter(([name]) => !drop(name)));
}

/** Merges per-spool runs (each in order) by time; a run's own order is kept whatever its times. */
function mergeByTime(runs: KeptLogLine[][]): KeptLogLine[] {
  const heads = runs.map(() => 0);
  const out: KeptLogLine[] = [];
  for (;;) {
    let best = -1;
    for (let r = 0; r < runs.length; r += 1) {
      const line = runs[r]![heads[r]!];
      if (line && (best < 0 || line.time < runs[best]![heads[best]!]!.time)) best = r;
    }
    if (best < 0) return out;
    out.push(runs[best]![heads[best]!]!);
    heads[best]! += 1;
  }
}
