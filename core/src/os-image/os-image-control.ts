import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import {
  ArchyError,
  RpcErrorCode,
  type OsDownload,
  type OsStatus,
  type OsUpdateRequest,
} from '../kernel/index.js';
import { downloadFile, partialPath, SourceUnavailable } from '../pipeline/download.js';
import type { Agent } from '../util/http-client.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { readOsStatus } from './os-status.js';
import { spoolFiles, type OsImagePaths } from './paths.js';
import { readOptionalText } from './state-files.js';

/** A root slot is 1536 MiB (os/lib/common.sh); the bundle adds a kernel and an initrd. */
export const MAX_BUNDLE_BYTES = 2 * 1024 * 1024 * 1024;

/** How long an update tool's "checking/writing" state counts as running (it is killed after 30 min). */
const APPLY_STALE_MS = 60 * 60 * 1000;

export interface OsImageControlOptions {
  paths: OsImagePaths;
  maxBytes?: number;
  /** Connection pool for the download (tests: a CA of their own). */
  agent?: Agent;
  now?: () => number;
}

/**
 * `os.status` and `os.update` (README "OS updates"). The daemon runs unprivileged, so it only
 * downloads: the bundle goes to the spool as `incoming.tar.part`, whole it becomes `ready.tar`
 * beside `request.json` ({reboot}), and archipelago-os-update.path starts the root service that
 * checks the signature and writes the other slot (its progress: update-state.json).
 */
export class OsImageControl {
  private download: OsDownload | undefined;
  private busy = false;

  constructor(private readonly options: OsImageControlOptions) {}

  async status(): Promise<OsStatus> {
    return readOsStatus(this.options.paths, await this.currentDownload(), this.now());
  }

  /** Downloads the bundle into the spool and hands it to the root service; returns when handed over. */
  async update(request: OsUpdateRequest): Promise<OsStatus> {
    const url = parseBundleUrl(request.url);
    const before = await this.status();
    if (!before.supported) throw new ArchyError(RpcErrorCode.Conflict, before.reason);
    if (this.busy || before.download?.state === 'downloading' || before.download?.state === 'waiting')
      throw new ArchyError(
        RpcErrorCode.Busy,
        'an OS update is already on its way; follow it with: archy os status',
      );
    const applying = before.lastUpdate;
    if (
      applying &&
      ['checking', 'verifying', 'writing'].includes(applying.state) &&
      this.now() - Date.parse(applying.at) < APPLY_STALE_MS
    )
      throw new ArchyError(
        RpcErrorCode.Busy,
        `version ${applying.version || '?'} is being written (${applying.state}); wait for it: archy os status`,
      );

    this.busy = true;
    const reboot = request.reboot ?? false;
    const started: OsDownload = {
      state: 'downloading',
      url: url.href,
      bytes: 0,
      reboot,
      at: new Date(this.now()).toISOString(),
    };
    this.download = started;
    try {
      await this.fetchIntoSpool(url);
      const files = spoolFiles(this.options.paths);
      // The request first: the path unit fires on ready.tar, and the service reads both.
      const requestJson = JSON.stringify({ reboot, url: url.href, requestedAt: started.at });
      await writeFileAtomic(files.request, `${requestJson}\n`, 0o640);
      await rename(files.incoming, files.ready);
      this.download = undefined;
    } catch (error) {
      const message = describeDownloadFailure(url, error);
      this.download = { ...started, ...this.download, state: 'failed', error: message };
      await rm(partialPath(spoolFiles(this.options.paths).incoming), { force: true });
      await rm(spoolFiles(this.options.paths).incoming, { force: true });
      throw error instanceof ArchyError
        ? error
        : new ArchyError(RpcErrorCode.ImageUnavailable, message, { cause: error });
    } finally {
      this.busy = false;
    }
    return this.status();
  }

  private async fetchIntoSpool(url: URL): Promise<void> {
    const { incoming } = spoolFiles(this.options.paths);
    await mkdir(this.options.paths.spool, { recursive: true });
    const maxBytes = this.options.maxBytes ?? MAX_BUNDLE_BYTES;
    if (url.protocol === 'file:') {
      const path = fileURLToPath(url);
      const info = await stat(path);
      // A device or a pipe has no size to check and may never end (file:///dev/zero).
      if (!info.isFile())
        throw new ArchyError(
          RpcErrorCode.InvalidParams,
          `${path} is not a file; give the bundle's .tar file`,
        );
      const size = info.size;
      if (size > maxBytes)
        throw new ArchyError(
          RpcErrorCode.InvalidParams,
          `${path} is ${size} bytes, more than an update bundle can be (${maxBytes})`,
        );
      this.progress(0, size);
      // At most the size checked above: a file that grows meanwhile cannot fill the data partition.
      await pipeline(
        createReadStream(path, { end: size - 1 }),
        createWriteStream(partialPath(incoming), { mode: 0o640 }),
      );
      await rename(partialPath(incoming), incoming);
      this.progress(size, size);
      return;
    }
    await downloadFile(url.href, incoming, {
      maxBytes,
      resume: false,
      keepPartial: false,
      ...(this.options.agent && { agent: this.options.agent }),
      onProgress: (progress) => this.progress(progress.bytes, progress.total),
    });
  }

  private progress(bytes: number, total: number | undefined): void {
    if (this.download?.state !== 'downloading') return;
    this.download = { ...this.download, bytes, ...(total !== undefined && { total }) };
  }

  /** Ours while downloading (or its failure); a bundle in the spool is waiting for the root service. */
  private async currentDownload(): Promise<OsDownload | undefined> {
    if (this.download) return this.download;
    const files = spoolFiles(this.options.paths);
    const ready = await stat(files.ready).catch(() => undefined);
    if (!ready) return undefined;
    const request = parseRequest(await readOptionalText(files.request));
    return {
      state: 'waiting',
      url: request.url ?? files.ready,
      bytes: ready.size,
      total: ready.size,
      reboot: request.reboot ?? false,
      at: request.requestedAt ?? ready.mtime.toISOString(),
    };
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** http:, https:, or file: (a bundle already on the node; `archy os update FILE` sends it so). */
export function parseBundleUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `'${text.slice(0, 200)}' is not a URL; give an http(s):// address or a file on the node`,
    );
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol))
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `${url.protocol} is not supported for an OS update; use http://, https:// or a file on the node`,
    );
  return url;
}

function parseRequest(text: string | undefined): { url?: string; reboot?: boolean; requestedAt?: string } {
  try {
    const value = JSON.parse(text ?? '{}') as Record<string, unknown>;
    return {
      ...(typeof value.url === 'string' && { url: value.url }),
      ...(typeof value.reboot === 'boolean' && { reboot: value.reboot }),
      ...(typeof value.requestedAt === 'string' && { requestedAt: value.requestedAt }),
    };
  } catch {
    return {};
  }
}

function describeDownloadFailure(url: URL, error: unknown): string {
  if (error instanceof SourceUnavailable) return `could not download the update: ${error.message}`;
  if (error instanceof Error) return `could not get the update from ${url.href}: ${error.message}`;
  return `could not get the update from ${url.href}`;
}
