import { describe, expect, it } from 'vitest';
import { collectFramed, demuxLines, FrameDemuxer, type StreamLine } from './log-demux.js';

function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function* chunksOf(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield part;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<StreamLine[]> {
  const lines: StreamLine[] = [];
  for await (const line of demuxLines(chunks)) lines.push(line);
  return lines;
}

// stdout line split over two frames, an stderr frame in between, a multi-byte character split
// across frames, an empty frame, and an unterminated last line.
const euro = Buffer.from('€', 'utf8');
const stream = Buffer.concat([
  frame(1, 'hello '),
  frame(2, 'oops\n'),
  frame(1, 'world\nsecond line\n'),
  frame(2, Buffer.concat([Buffer.from('price '), euro.subarray(0, 1)])),
  frame(2, Buffer.concat([euro.subarray(1), Buffer.from('5\r\n')])),
  frame(1, ''),
  frame(1, 'no newline at end'),
]);
const expected: StreamLine[] = [
  { stream: 'stderr', line: 'oops' },
  { stream: 'stdout', line: 'hello world' },
  { stream: 'stdout', line: 'second line' },
  { stream: 'stderr', line: 'price €5' },
  { stream: 'stdout', line: 'no newline at end' },
];

describe('log demultiplexing', () => {
  it('reassembles frames and lines delivered in one chunk', async () => {
    expect(await collect(chunksOf(stream))).toEqual(expected);
  });

  it('gives the same lines when the stream is split at every single byte boundary', async () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const lines = await collect(chunksOf(stream.subarray(0, cut), stream.subarray(cut)));
      expect(lines, `split at byte ${cut}`).toEqual(expected);
    }
  });

  it('gives the same lines when every byte arrives alone', async () => {
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(await collect(chunksOf(...bytes))).toEqual(expected);
  });

  it('holds an incomplete frame until the rest arrives', () => {
    const demuxer = new FrameDemuxer();
    const whole = frame(1, 'abc');
    expect(demuxer.push(whole.subarray(0, 9))).toEqual([]);
    expect(demuxer.pendingBytes).toBe(9);
    const frames = demuxer.push(whole.subarray(9));
    expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([['stdout', 'abc']]);
    expect(demuxer.pendingBytes).toBe(0);
  });

  it('collects exec output per stream and interleaved', async () => {
    const out = await collectFramed(chunksOf(frame(1, 'a\n'), frame(2, 'b\n'), frame(1, 'c\n')));
    expect(out).toEqual({ stdout: 'a\nc\n', stderr: 'b\n', combined: 'a\nb\nc\n' });
  });
});
