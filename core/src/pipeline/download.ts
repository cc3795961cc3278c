// Downloads a release file from the first source that serves it.
//
// Two kinds of failure, treated differently on purpose:
// - the source did not serve the file at all (refused connection, timeout before an answer,
//   404, 5xx): that source is *unavailable*, recorded, and the next one is tried;
// - the source served it badly (cut short, longer than announced, over the size cap): that is a
//   hard failure. Nothing half-downloaded is ever passed on, and no checksum is trusted over a
//   file we did not receive whole.
// Bodies stream to a file while being hashed, so memory stays flat whatever the file size.

import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { releaseRefused } from './pipeline-error.js';
import { HashingMeter, SizeCapExceeded } from './sha256-stream.js';

export interface DownloadOptions {
  /** Refuse anything larger (announced or received). */
  maxBytes: number;
  /** Until the response headers arrive. Default 30 s. */
  headersTimeoutMs?: number;
  /** Longest silence while the body streams. Default 60 s. */
  idleTimeoutMs?: number;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export interface DownloadedFile {
  url: string;
  path: string;
  bytes: number;
  sha256: string;
}

/** One try at one source, for the report. */
export interface SourceAttempt {
  source: string;
  url: string;
  outcome: 'served' | 'unavailable';
  /** Why it was unavailable. */
  detail?: string;
}

/** The source did not serve the file; the caller may try the next one. */
export class SourceUnavailable extends Error {
  constructor(
    readonly url: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${url}: ${detail}`, options);
    this.name = 'SourceUnavailable';
  }
}

/** A connection pool that follows redirects (release mirrors often redirect to a CDN). Close it after use. */
export function createDownloadAgent(connectTimeoutMs = 15_000): Dispatcher {
  return new Agent({ connect: { timeout: connectTimeoutMs } }).compose(
    interceptors.redirect({ maxRedirections: 5 }),
  );
}

const describe = (error: unknown): string => {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  const message = err.cause?.message ?? err.message ?? String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
};

function contentLength(headers: Record<string, string | string[] | undefined>): number | undefined {
  const value = headers['content-length'];
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Streams `url` into `destination` (created new; never overwritten) while hashing it. Throws
 * SourceUnavailable when the source didn't serve it, a pipeline 'download' error when it served
 * it badly; the partial file is removed in both cases.
 */
export async function downloadFile(
  url: string,
  destination: string,
  options: DownloadOptions,
): Promise<DownloadedFile> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: 'GET',
      dispatcher: options.dispatcher,
      signal: options.signal,
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      bodyTimeout: options.idleTimeoutMs ?? 60_000,
      // Byte-exact files: no content coding may change what we hash.
      headers: { 'accept-encoding': 'identity', 'user-agent': 'archipelago-pipeline' },
    });
  } catch (cause) {
    throw new SourceUnavailable(url, describe(cause), { cause });
  }

  if (response.statusCode !== 200) {
    await response.body.dump().catch(() => undefined);
    const detail = response.statusCode === 404 ? 'not found (HTTP 404)' : `HTTP ${response.statusCode}`;
    throw new SourceUnavailable(url, detail);
  }

  const announced = contentLength(response.headers);
  if (announced !== undefined && announced > options.maxBytes) {
    response.body.destroy();
    throw releaseRefused(
      'download',
      `${url} announces ${announced} bytes, more than the ${options.maxBytes}-byte cap for this file; ` +
        `refusing it. Check the source serves the right file.`,
    );
  }

  const meter = new HashingMeter(options.maxBytes);
  try {
    await pipeline(response.body, meter, createWriteStream(destination, { flags: 'wx', mode: 0o600 }));
  } catch (cause) {
    await rm(destination, { force: true });
    if (cause instanceof SizeCapExceeded)
      throw releaseRefused(
        'download',
        `${url} sent more than the ${options.maxBytes}-byte cap for this file; refusing it.`,
        { cause },
      );
    const expected = announced === undefined ? '' : ` of ${announced}`;
    throw releaseRefused(
      'download',
      `download of ${url} was cut short after ${meter.bytes}${expected} bytes (${describe(cause)}); ` +
        'nothing was verified. Run the build again, or list a mirror that serves the file whole.',
      { cause },
    );
  }

  // undici checks Content-Length itself; checked again here because a half file must never pass.
  if (announced !== undefined && meter.bytes !== announced) {
    await rm(destination, { force: true });
    throw releaseRefused(
      'download',
      `download of ${url} was cut short: received ${meter.bytes} of ${announced} announced bytes; ` +
        'nothing was verified. Run the build again.',
    );
  }
  return { url, path: destination, bytes: meter.bytes, sha256: meter.digest() };
}

/** A file's location on one source. */
export interface SourceUrl {
  source: string;
  url: string;
}

/**
 * Tries each source in order and returns the first file served; unavailable sources are
 * recorded in `attempts` (which the caller owns, so the whole run's tries end up in one list).
 * When none serves it, throws a 'download' error naming every source and why.
 */
export async function downloadFromFirstSource(
  what: string,
  candidates: SourceUrl[],
  destination: string,
  options: DownloadOptions,
  attempts: SourceAttempt[],
): Promise<DownloadedFile> {
  const failures: string[] = [];
  for (const { source, url } of candidates) {
    try {
      const file = await downloadFile(url, destination, options);
      attempts.push({ source, url, outcome: 'served' });
      return file;
    } catch (error) {
      if (!(error instanceof SourceUnavailable)) throw error;
      attempts.push({ source, url, outcome: 'unavailable', detail: error.detail });
      failures.push(`${url}: ${error.detail}`);
    }
  }
  throw releaseRefused(
    'download',
    `no source served ${what}: ${failures.join('; ')}. Check the version and the sources in the config.`,
    { data: { attempts } },
  );
}
