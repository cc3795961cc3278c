// What a download reports and how it fails: the types and errors download.ts, the sources loop
// (download-sources.ts) and their callers share.

import { ArchyError, RpcErrorCode } from '../kernel/index.js';

export interface DownloadProgress {
  url: string;
  /** On disk so far, including what an earlier try left. */
  bytes: number;
  /** The whole file's size, when the server said. */
  total?: number;
  /** Over the last few seconds. */
  rateBytesPerSecond: number;
  etaSeconds?: number;
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
    super(`${url}: ${detail}; check the address and that the server is up, or list another source`, options);
    this.name = 'SourceUnavailable';
  }
}

/** The source served the file in a way we refuse (over the cap, a range answer that doesn't fit). */
export class DownloadRefused extends ArchyError {
  constructor(message: string, url: string, options: { cause?: unknown } = {}) {
    super(RpcErrorCode.ImageUnavailable, message, { cause: options.cause, data: { step: 'download', url } });
    this.name = 'DownloadRefused';
  }
}

/** The body kept breaking off, every retry included. `partPath` holds what arrived, unless discarded. */
export class DownloadInterrupted extends ArchyError {
  constructor(
    message: string,
    readonly url: string,
    readonly bytes: number,
    readonly partPath: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(RpcErrorCode.ImageUnavailable, message, {
      cause: options.cause,
      data: { step: 'download', url, bytes, ...(partPath ? { partPath } : {}) },
    });
    this.name = 'DownloadInterrupted';
  }
}
