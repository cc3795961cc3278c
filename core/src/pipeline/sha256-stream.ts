// SHA-256 over a stream, one chunk at a time: release tarballs are ~50–200 MB and the pipeline
// runs on small machines, so a file is never held in memory whole.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';

/** Large reads keep the per-chunk overhead far below the hashing cost (sha256sum reads 32–128 KiB). */
const READ_CHUNK_BYTES = 1024 * 1024;

/** The lowercase hex SHA-256 of a file, read in chunks. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Thrown inside a HashingMeter when a stream grows past its cap. */
export class SizeCapExceeded extends Error {
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
    this.name = 'SizeCapExceeded';
  }
}

/**
 * A pass-through that hashes and counts what flows through it, and stops the stream once it
 * exceeds `maxBytes` — so a source can't fill the disk by sending more than it announced.
 */
export class HashingMeter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly maxBytes: number = Number.POSITIVE_INFINITY) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new SizeCapExceeded(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** The hex digest; call once, after the stream finished. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
