// The HTTP and file details of a resumable download: what the headers say (length, range,
// validator), how a failure reads in words, and the stream that replays the part on disk into
// the hash before the body that continues it.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { IncomingHttpHeaders } from '../util/http-client.js';

/** What a connection failure means, for the people reading the refusal (the code stays beside it). */
const CONNECTION_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'name lookup failed (is this machine online?)',
  ENETUNREACH: 'network unreachable (is this machine online?)',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
};

export const describe = (error: unknown): string => {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  if (code && CONNECTION_WORDS[code]) return `${CONNECTION_WORDS[code]} (${code})`;
  const message = err.cause?.message ?? err.message ?? String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
};

/** Why a body broke off, in words. */
export function describeBreak(error: unknown): string {
  const err = error as { code?: string; message?: string };
  if (err.code === 'BODY_TIMEOUT') return `stalled: ${err.message ?? 'no data'}`;
  if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || (err.code === 'ECONNRESET' && err.message === 'aborted'))
    return 'the server closed the connection early';
  if (err.code === 'ECONNRESET') return 'the connection was reset (ECONNRESET)';
  return describe(error);
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const value = header(headers, 'content-length');
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** `bytes <first>-<last>/<total|*>` */
export function contentRange(headers: IncomingHttpHeaders): { first: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(headers, 'content-range')?.trim() ?? '');
  if (!match) return undefined;
  return { first: Number(match[1]), ...(match[3] !== '*' ? { total: Number(match[3]) } : {}) };
}

/** A validator that pins the exact file for `If-Range`: a strong ETag, else Last-Modified. */
export function validatorOf(headers: IncomingHttpHeaders): string | undefined {
  const etag = header(headers, 'etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return header(headers, 'last-modified');
}

export async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** Drops the first `count` bytes: on a resume, the part already on disk goes through the hash only. */
export class SkipBytes extends Transform {
  constructor(private remaining: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.remaining >= chunk.length) {
      this.remaining -= chunk.length;
      callback();
      return;
    }
    const rest = this.remaining > 0 ? chunk.subarray(this.remaining) : chunk;
    this.remaining = 0;
    callback(null, rest);
  }
}

/**
 * The part already on disk (when resuming), then the body: one stream for the hash, so the
 * SHA-256 covers the whole file. A body that breaks off ends this stream instead of failing it,
 * so everything received still reaches the disk (a failed pipeline would drop what the file
 * stream holds in memory); `broke.error` says why it ended.
 */
export async function* partThenBody(
  partPath: string,
  offset: number,
  body: Readable,
  broke: { error?: unknown },
): AsyncGenerator<Buffer> {
  try {
    if (offset > 0)
      for await (const chunk of createReadStream(partPath, { end: offset - 1, highWaterMark: 1024 * 1024 }))
        yield chunk as Buffer;
    try {
      for await (const chunk of body) yield chunk as Buffer;
    } catch (error) {
      broke.error = error;
    }
  } finally {
    body.destroy();
  }
}
