import { TextDecoder } from 'node:util';

/**
 * Podman's container logs (and non-tty exec output) are multiplexed frames: 1 byte stream id
 * (1 = stdout, 2 = stderr), 3 bytes padding, a 4-byte big-endian payload length, then the
 * payload. Frames and the lines inside them split anywhere across HTTP chunks.
 */
export type StreamName = 'stdout' | 'stderr';

export interface LogFrame {
  stream: StreamName;
  payload: Buffer;
}

export interface StreamLine {
  stream: StreamName;
  line: string;
}

const HEADER_BYTES = 8;

/** Reassembles frames from arbitrarily split chunks. Feed chunks with `push`, read frames out. */
export class FrameDemuxer {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogFrame[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const frames: LogFrame[] = [];
    while (this.buffered.length >= HEADER_BYTES) {
      const length = this.buffered.readUInt32BE(4);
      if (this.buffered.length < HEADER_BYTES + length) break;
      const streamId = this.buffered[0];
      // Stream 0 (stdin) never carries output; anything but stderr is treated as stdout.
      frames.push({
        stream: streamId === 2 ? 'stderr' : 'stdout',
        payload: this.buffered.subarray(HEADER_BYTES, HEADER_BYTES + length),
      });
      this.buffered = this.buffered.subarray(HEADER_BYTES + length);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.buffered.length;
  }
}

/**
 * Splits each stream's bytes into lines, holding a partial line until its newline arrives (or the
 * stream ends). Kept per stream so an stderr frame cannot cut an stdout line in two; decoding is
 * per stream too, so a UTF-8 character split across frames survives.
 */
export class LineSplitter {
  private readonly partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  private readonly decoders: Record<StreamName, TextDecoder> = {
    stdout: new TextDecoder(),
    stderr: new TextDecoder(),
  };

  push(frame: LogFrame): StreamLine[] {
    const text =
      this.partial[frame.stream] + this.decoders[frame.stream].decode(frame.payload, { stream: true });
    const parts = text.split('\n');
    this.partial[frame.stream] = parts.pop() ?? '';
    return parts.map((line) => ({ stream: frame.stream, line: stripCarriageReturn(line) }));
  }

  /** The unterminated last line of each stream, at end of input. */
  flush(): StreamLine[] {
    const lines: StreamLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream] + this.decoders[stream].decode();
      this.partial[stream] = '';
      if (rest) lines.push({ stream, line: stripCarriageReturn(rest) });
    }
    return lines;
  }
}

const stripCarriageReturn = (line: string): string => (line.endsWith('\r') ? line.slice(0, -1) : line);

/** Demultiplexes a framed byte stream into lines tagged with their stream. */
export async function* demuxLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<StreamLine> {
  const frames = new FrameDemuxer();
  const lines = new LineSplitter();
  for await (const chunk of chunks) {
    for (const frame of frames.push(chunk)) yield* lines.push(frame);
  }
  yield* lines.flush();
}

/** Collects a framed byte stream as text (exec output), interleaved in arrival order. */
export async function collectFramed(
  chunks: AsyncIterable<Buffer>,
): Promise<{ stdout: string; stderr: string; combined: string }> {
  const frames = new FrameDemuxer();
  const out: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  const combined: Buffer[] = [];
  for await (const chunk of chunks) {
    for (const frame of frames.push(chunk)) {
      out[frame.stream].push(frame.payload);
      combined.push(frame.payload);
    }
  }
  return {
    stdout: Buffer.concat(out.stdout).toString('utf8'),
    stderr: Buffer.concat(out.stderr).toString('utf8'),
    combined: Buffer.concat(combined).toString('utf8'),
  };
}
