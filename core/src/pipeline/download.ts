// Downloads a release file from the first source that serves it, resuming where an earlier try
// stopped: release tarballs are 50–200 MB, fetched over home internet.
//
// Two kinds of failure, treated differently on purpose:
// - the source did not serve the file at all (refused connection, DNS, no answer before the
//   headers timeout, 404, 5xx, a redirect we won't follow): that source is *unavailable*,
//   recorded, and the next one is tried;
// - the source served it badly (over the size cap, a range answer that doesn't fit) or kept
//   breaking off mid-body after every retry: that is a hard failure. Nothing half-downloaded is
//   ever passed on, and no checksum is trusted over a file we did not receive whole.
//
// The body streams into `<destination>.part` while being hashed, so memory stays flat whatever
// the file size. A body that breaks off (reset, cut short, stalled) is asked for again from where
// it stopped (`Range`), a bounded number of times; a server that ignores ranges answers with the
// whole file, and the download starts over. When the last retry fails too, the `.part` stays and
// the next call resumes it. Only a whole file is renamed (atomically) to `destination`; it is not
// fsynced first, because every caller hashes it before trusting it. A close-delimited body
// (HTTP/1.0, no Content-Length) that is cut short looks complete to any client: that same
// SHA-256 check catches it.

import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../util/backoff.js';
import { redirectTarget, request, type Agent, type ResponseData } from '../util/http-client.js';
import { releaseRefused } from './pipeline-error.js';
import { HashingMeter, SizeCapExceeded } from './sha256-stream.js';
import {
  DownloadInterrupted,
  DownloadRefused,
  SourceUnavailable,
  type DownloadedFile,
  type DownloadProgress,
} from './download-outcomes.js';
import { ProgressClock } from './download-progress.js';
import {
  contentLength,
  contentRange,
  describe,
  describeBreak,
  header,
  partThenBody,
  sizeOf,
  SkipBytes,
  validatorOf,
} from './download-http.js';

// Split for size: outcomes and errors (download-outcomes.ts) and the progress clock live beside
// this file, and the loop over sources in download-sources.ts; the outcomes are exported from
// here too, so a caller of downloadFile imports one module.
export {
  DownloadInterrupted,
  DownloadRefused,
  SourceUnavailable,
  type DownloadedFile,
  type DownloadProgress,
  type SourceAttempt,
} from './download-outcomes.js';

export interface DownloadOptions {
  /** Refuse anything larger (announced or received). */
  maxBytes: number;
  /** Until the response headers arrive (connecting included). Default 30 s. */
  headersTimeoutMs?: number;
  /** Longest silence while the body streams; past it the body counts as broken off. Default 60 s. */
  idleTimeoutMs?: number;
  /** Connection pool; the shared one by default. */
  agent?: Agent;
  signal?: AbortSignal;
  /** Continue a `.part` an earlier call left. Default true; false starts from zero. */
  resume?: boolean;
  /** Tries again after the body breaks off, this many times. Default 3. */
  retries?: number;
  /** The first wait before trying again; doubled each time. Default 500 ms. */
  retryDelayMs?: number;
  /** After the last retry: keep the `.part` for the next call to resume (default), or remove it. */
  keepPartial?: boolean;
  /** Progress while the body streams (at most every `progressIntervalMs`), and once at the end. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Default 250 ms. */
  progressIntervalMs?: number;
}

const PART_SUFFIX = '.part';

/** Where a download in progress lives. */
export const partialPath = (destination: string): string => destination + PART_SUFFIX;

/** A body that broke off (reset, cut short, stalled, closed early): worth asking again. */
class BodyBroke extends Error {
  constructor(
    readonly reason: string,
    readonly bytes: number,
    readonly total: number | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(reason, options);
  }
}

interface AttemptState {
  url: string;
  partPath: string;
  options: DownloadOptions;
  /** Stop asking for ranges (the server answered one wrongly). */
  rangesDistrusted: boolean;
  validator: string | undefined;
  /** Whether an earlier try in this call reached the server: then a failure to reach it is a break. */
  reached: boolean;
  receivedThisCall: number;
  progress: ProgressClock;
}

/**
 * Streams `url` into `destination` while hashing it, through `<destination>.part`. Throws
 * SourceUnavailable when the source didn't serve it, DownloadRefused when it served it badly,
 * DownloadInterrupted when the body kept breaking off, and a caller's abort as its reason.
 */
/** A cap on one retry's wait; the default three retries (0.5, 1, 2 s) never reach it. */
const MAX_RETRY_DELAY_MS = 30_000;

export async function downloadFile(
  url: string,
  destination: string,
  options: DownloadOptions,
): Promise<DownloadedFile> {
  const partPath = partialPath(destination);
  if (options.resume === false) await rm(partPath, { force: true });
  const state: AttemptState = {
    url,
    partPath,
    options,
    rangesDistrusted: false,
    validator: undefined,
    reached: false,
    receivedThisCall: 0,
    progress: new ProgressClock(url, options.onProgress, options.progressIntervalMs ?? 250),
  };
  const retries = options.retries ?? 3;
  try {
    for (let retry = 0; ; retry += 1) {
      try {
        const file = await attempt(state);
        await rename(partPath, destination);
        state.progress.finish(file.bytes, state.receivedThisCall);
        return { url, path: destination, bytes: file.bytes, sha256: file.sha256 };
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (!(error instanceof BodyBroke)) throw error;
        if (retry < retries) {
          await sleep(
            backoffDelay({ initialMs: options.retryDelayMs ?? 500, maxMs: MAX_RETRY_DELAY_MS }, retry),
            undefined,
            {
              signal: options.signal,
            },
          ).catch(() => undefined);
          if (options.signal?.aborted) throw options.signal.reason;
          continue;
        }
        throw await interrupted(state, error, retries);
      }
    }
  } finally {
    state.progress.stop();
  }
}

async function interrupted(
  state: AttemptState,
  error: BodyBroke,
  retries: number,
): Promise<DownloadInterrupted> {
  const keep = state.options.keepPartial !== false;
  if (!keep) await rm(state.partPath, { force: true });
  const kept = keep ? await sizeOf(state.partPath) : 0;
  const of = error.total === undefined ? '' : ` of ${error.total}`;
  const tries = `${retries + 1} ${retries === 0 ? 'try' : 'tries'}`;
  const next =
    kept > 0
      ? `the ${kept} bytes received are kept in ${state.partPath}, and the next try resumes from there: run it again`
      : 'run it again, or list a mirror that serves the file whole';
  return new DownloadInterrupted(
    `download of ${state.url} was cut short after ${error.bytes}${of} bytes (${error.reason}; ${tries}); ` +
      `nothing was verified. Check this machine's connection; ${next}.`,
    state.url,
    error.bytes,
    kept > 0 ? state.partPath : undefined,
    { cause: error.cause },
  );
}

/** GET, following redirects ourselves; returns the final answer (not a redirect). */
async function open(state: AttemptState, headers: Record<string, string>): Promise<ResponseData> {
  const { options } = state;
  let target = new URL(state.url);
  const visited = [target.href];
  for (;;) {
    let response: ResponseData;
    try {
      response = await request(target, {
        method: 'GET',
        headers,
        agent: options.agent,
        signal: options.signal,
        headersTimeout: options.headersTimeoutMs ?? 30_000,
        bodyTimeout: options.idleTimeoutMs ?? 60_000,
      });
    } catch (cause) {
      if (options.signal?.aborted) throw options.signal.reason;
      const detail =
        (cause as { code?: string }).code === 'HEADERS_TIMEOUT'
          ? `no answer within ${options.headersTimeoutMs ?? 30_000} ms`
          : describe(cause);
      throw new SourceUnavailable(state.url, visited.length === 1 ? detail : `${target.href}: ${detail}`, {
        cause,
      });
    }
    if (response.statusCode < 300 || response.statusCode >= 400 || response.statusCode === 304)
      return response;
    await response.body.dump();
    const hop = redirectTarget(target, header(response.headers, 'location'), visited);
    if ('refused' in hop)
      throw new SourceUnavailable(state.url, `HTTP ${response.statusCode}, ${hop.refused}`);
    target = hop.next;
    visited.push(target.href);
  }
}

/** One request and its body into the `.part`; resolves with the whole file's size and hash. */
async function attempt(state: AttemptState): Promise<{ bytes: number; sha256: string }> {
  const { url, partPath, options } = state;
  let offset = state.rangesDistrusted ? 0 : await sizeOf(partPath);
  const headers: Record<string, string> = {
    // Byte-exact files: no content coding may change what we hash.
    'accept-encoding': 'identity',
    'user-agent': 'archipelago-downloader',
  };
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    if (state.validator) headers['if-range'] = state.validator;
  }

  let response: ResponseData;
  try {
    response = await open(state, headers);
  } catch (error) {
    // The server answered an earlier try: not reaching it now is a break in the download, not
    // a source that never served it.
    if (error instanceof SourceUnavailable && state.reached)
      throw new BodyBroke(error.detail, offset, undefined, { cause: error });
    throw error;
  }
  const status = response.statusCode;
  if (status === 416 && offset > 0) {
    // The part is as long as the file or longer (it changed, or it was complete): start over.
    await response.body.dump();
    await rm(partPath, { force: true });
    return attempt(state);
  }
  if (status !== 200 && status !== 206) {
    await response.body.dump();
    if (state.reached) throw new BodyBroke(`HTTP ${status}`, offset, undefined);
    throw new SourceUnavailable(url, status === 404 ? 'not found (HTTP 404)' : `HTTP ${status}`);
  }
  state.reached = true;

  let total: number | undefined;
  if (status === 206) {
    const range = contentRange(response.headers);
    if (offset === 0 || range?.first !== offset) {
      // A range we did not ask for: ask again for the whole file, without ranges.
      await response.body.dump();
      if (state.rangesDistrusted)
        throw new DownloadRefused(
          `${url} answered a plain request with a partial file (HTTP 206, Content-Range ` +
            `${header(response.headers, 'content-range') ?? 'missing'}); refusing it. Use another source.`,
          url,
        );
      state.rangesDistrusted = true;
      await rm(partPath, { force: true });
      return attempt(state);
    }
    const length = contentLength(response.headers);
    total = range.total ?? (length === undefined ? undefined : offset + length);
  } else {
    // 200: the whole file, whether or not we asked for a range (a server may ignore it).
    offset = 0;
    state.validator = validatorOf(response.headers);
    total = contentLength(response.headers);
  }

  if (total !== undefined && total > options.maxBytes) {
    response.body.destroy();
    await rm(partPath, { force: true });
    throw new DownloadRefused(
      `${url} announces ${total} bytes, more than the ${options.maxBytes}-byte cap for this file; ` +
        'refusing it. Check the source serves the right file.',
      url,
    );
  }

  const meter = new HashingMeter(options.maxBytes);
  const file: WriteStream = createWriteStream(partPath, {
    flags: offset > 0 ? 'a' : 'w',
    mode: 0o600,
    // One socket read's worth (64 KiB) before backpressure, so a chunk doesn't pause the body
    // each time: ~15% less CPU per byte than the default 16 KiB, with no more memory (measured
    // with bench/download.ts; 256 KiB and 1 MiB saved no more and added 4–7 MB of peak RSS).
    highWaterMark: 64 * 1024,
  });
  let fileError: unknown;
  file.once('error', (error) => (fileError = error));
  const onDisk = (): number => offset + file.bytesWritten;
  const broke: { error?: unknown } = {};
  const source = partThenBody(partPath, offset, response.body, broke);
  state.progress.run(() => ({ bytes: onDisk(), total }));
  try {
    if (offset > 0) await pipeline(source, meter, new SkipBytes(offset), file);
    else await pipeline(source, meter, file);
  } catch (cause) {
    state.progress.stop();
    state.receivedThisCall += file.bytesWritten;
    if (options.signal?.aborted) throw options.signal.reason;
    if (cause instanceof SizeCapExceeded) {
      await rm(partPath, { force: true });
      throw new DownloadRefused(
        `${url} sent more than the ${options.maxBytes}-byte cap for this file; refusing it. ` +
          'Check the source serves the right file.',
        url,
        { cause },
      );
    }
    if (fileError !== undefined)
      throw releaseRefused(
        'download',
        `cannot write ${partPath} while downloading ${url} (${describe(fileError)}); ` +
          'free some disk space or fix the folder, then run it again: it resumes from what was written.',
        { cause: fileError },
      );
    throw new BodyBroke(describeBreak(cause), onDisk(), total, { cause });
  }
  state.progress.stop();
  state.receivedThisCall += file.bytesWritten;
  if (options.signal?.aborted) throw options.signal.reason;
  if (broke.error !== undefined)
    throw new BodyBroke(describeBreak(broke.error), onDisk(), total, { cause: broke.error });
  if (total !== undefined && meter.bytes !== total)
    throw new BodyBroke(`received ${meter.bytes} of ${total} announced bytes`, onDisk(), total);
  return { bytes: meter.bytes, sha256: meter.digest() };
}
