// conmon's `k8s-file` log format, which the spools are written in (README "Kept logs"): one record
// per line, `<RFC 3339 time with nanoseconds> <stdout|stderr> <P|F> <text>`. conmon stamps each
// read of the container's pipe, so many records share one time; `P` (partial) records are pieces
// of a line that was longer than conmon's buffer, or that had no newline when the stream ended,
// and `F` ends the line. Records are the bytes of one write: they never contain a newline.

export type StreamName = 'stdout' | 'stderr';

export interface K8sRecord {
  /** UTC, nanoseconds kept: `2026-12-06T22:45:39.064851700Z` (sorts as text). */
  time: string;
  stream: StreamName;
  partial: boolean;
  text: string;
}

const RECORD =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) (stdout|stderr) ([PF]) (.*)$/s;

/** One record, or undefined for a line that is not one (never written by conmon; skipped). */
export function parseK8sRecord(line: string): K8sRecord | undefined {
  const match = RECORD.exec(line);
  if (!match) return undefined;
  const [, seconds, fraction = '', zone, stream, flag, text] = match;
  const utc = new Date(`${seconds}${zone === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(utc.getTime())) return undefined;
  return {
    time: `${utc.toISOString().slice(0, 19)}.${fraction.padEnd(9, '0')}Z`,
    stream: stream as StreamName,
    partial: flag === 'P',
    text: text ?? '',
  };
}

/** A whole line of output. */
export interface AssembledLine {
  time: string;
  stream: StreamName;
  text: string;
}

/**
 * Joins records into lines. `P` records wait (per stream: stdout and stderr interleave) for
 * their `F`; a line takes the time of its first piece. `flush` ends the pieces still waiting
 * (nobody writes the spool any more).
 */
export class LineAssembler {
  private readonly waiting: Partial<Record<StreamName, { time: string; text: string }>> = {};

  push(record: K8sRecord): AssembledLine | undefined {
    const earlier = this.waiting[record.stream];
    if (record.partial) {
      this.waiting[record.stream] = earlier
        ? { time: earlier.time, text: earlier.text + record.text }
        : { time: record.time, text: record.text };
      return undefined;
    }
    this.waiting[record.stream] = undefined;
    return {
      time: earlier?.time ?? record.time,
      stream: record.stream,
      text: (earlier?.text ?? '') + record.text,
    };
  }

  get pending(): boolean {
    return Boolean(this.waiting.stdout || this.waiting.stderr);
  }

  /** The unfinished lines, as they are. */
  flush(): AssembledLine[] {
    const lines: AssembledLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const piece = this.waiting[stream];
      if (piece) lines.push({ time: piece.time, stream, text: piece.text });
      this.waiting[stream] = undefined;
    }
    return lines;
  }
}
