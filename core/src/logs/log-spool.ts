// The spool: conmon writes each container's output itself (the `k8s-file` log driver) into a
// file we name, logs/<id>/spool/<container name>.<nonce>.k8s, and the daemon reads it from there
// into the kept files. conmon is already in the path of every byte (it is what `podman logs`
// reads), so the capture costs the daemon nothing while it runs; the file outlives the container
// (Podman deletes only log files it named itself), so a container removed before the daemon read
// its last lines loses none, and a daemon down for a while finds every line waiting.

import { constants } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ContainerCreateSpec } from '../podman/index.js';
import type { DataLayout } from '../layout/index.js';
import { LineAssembler, parseK8sRecord, type AssembledLine } from './k8s-file.js';

/** The label that ties a container to its spool file (by file name). */
export const LOG_SPOOL_LABEL = 'io.archipelago.log-spool';
export const SPOOL_DIR = 'spool';
const SPOOL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.k8s$/;

export const isSpoolName = (name: string): boolean => SPOOL_NAME.test(name);
export const spoolDirOf = (layout: DataLayout, id: string): string => join(layout.appLogsDir(id), SPOOL_DIR);

/**
 * The spec with its output captured: conmon's `k8s-file` log at a fresh spool file (a recreated
 * container gets a new one; the old one is read to its end, then deleted). `spoolBytes` bounds
 * one spool: past it conmon starts an empty file, and the daemon, which holds the old one open,
 * reads that to its end first.
 */
export async function withLogSpool(
  spec: ContainerCreateSpec,
  options: { layout: DataLayout; appId: string; spoolBytes: number },
): Promise<ContainerCreateSpec> {
  const dir = spoolDirOf(options.layout, options.appId);
  await mkdir(options.layout.logsDir, { recursive: true, mode: 0o700 });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = `${spec.name}.${Date.now().toString(36)}${randomBytes(3).toString('hex')}.k8s`;
  if (!isSpoolName(name)) throw new Error(`no spool name for container '${spec.name}'`);
  return {
    ...spec,
    labels: { ...spec.labels, [LOG_SPOOL_LABEL]: name },
    log_configuration: { driver: 'k8s-file', path: join(dir, name), size: options.spoolBytes },
  };
}

const { O_RDONLY, O_NOFOLLOW } = constants;
/** No record is longer: a spool that has none shorter is not conmon's, and is read as it stands. */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/** What one read of a spool gave: whole lines, and where the next read resumes. */
export interface SpoolRead {
  lines: AssembledLine[];
  /** Offset past the last line taken (the old offset when none). */
  resumeAt: number;
  /** Nothing more to read right now (the read reached the end of the written bytes). */
  atEnd: boolean;
  /** Pieces of a line wait for the rest at the end. */
  pending: boolean;
}

/** One spool file held open: a full spool conmon replaced stays readable through it to its end. */
export class SpoolFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly ino: number,
  ) {}

  static async open(path: string): Promise<SpoolFile | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, O_RDONLY | O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      return undefined;
    }
    return new SpoolFile(path, handle, info.ino);
  }

  /** True when the name now holds another file: conmon replaced this one, which is then complete. */
  async replaced(): Promise<boolean> {
    try {
      return (await stat(this.path)).ino !== this.ino;
    } catch {
      return true;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /**
   * Whole lines from `offset`: at most `maxBytes` of the spool, up to the last point where no
   * line is half read. `final`: nobody writes this file any more, so trailing pieces are lines.
   */
  async read(offset: number, maxBytes: number, final: boolean): Promise<SpoolRead> {
    let size = maxBytes;
    let bytes: Buffer;
    let bytesRead: number;
    for (;;) {
      const buffer = Buffer.alloc(size);
      ({ bytesRead } = await this.handle.read(buffer, 0, size, offset));
      bytes = buffer.subarray(0, bytesRead);
      // A record longer than the read (conmon's are up to its buffer, 8 KiB): read more at once.
      if (bytesRead < size || bytes.includes(0x0a) || size >= MAX_RECORD_BYTES) break;
      size *= 4;
    }
    maxBytes = size;
    const complete = bytes.lastIndexOf(0x0a) + 1;
    const assembler = new LineAssembler();
    const lines: Array<{ line: AssembledLine; end: number }> = [];
    let resumeAt = offset;
    let start = 0;
    while (start < complete) {
      const end = bytes.indexOf(0x0a, start);
      const record = parseK8sRecord(bytes.toString('utf8', start, end));
      start = end + 1;
      const line = record ? assembler.push(record) : undefined;
      if (line) lines.push({ line, end: offset + start });
      if (!assembler.pending) resumeAt = offset + start;
    }
    const atEnd = bytesRead < maxBytes;
    if (final && atEnd && assembler.pending) {
      for (const line of assembler.flush()) lines.push({ line, end: offset + complete });
      resumeAt = offset + complete;
    }
    // A line finished after a piece of another began is kept only once that one is finished too:
    // reading resumes before the piece, and would read this line again.
    return {
      lines: lines.filter(({ end }) => end <= resumeAt).map(({ line }) => line),
      resumeAt,
      atEnd,
      pending: assembler.pending,
    };
  }
}
