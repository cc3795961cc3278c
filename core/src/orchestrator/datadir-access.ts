// Reads and writes a Bitcoin datadir that belongs to the container's user.
//
// Data volumes are mounted with `:U`, so Podman chowns them to the container user — a sub-uid of
// the daemon's user — and bitcoind's umask 077 leaves the files unreadable to the daemon itself.
// A helper process in the rootless user namespace (app-tree-client.ts) reaches them. The container
// owns that tree and can fill it with symlinks (`..archipelago-version.json.tmp ->
// ../../secrets/.master-key`) and swap them while we look, so the helper follows none: it walks
// by descriptor, refuses every link, and reads and writes as the datadir's own user
// (app-tree-ops.ts). Each call costs a podman unshare and a small Node process, so the reader does
// not ask file by file: one call returns exactly the evidence datadir-inspect reads (bitcoin.conf,
// our marker, per network settings.json, the tail of debug.log, blocks/xor.dat, the first block
// file's name, whether indexes/coinstatsindex/ exists, with the times of both clues), the daemon
// lays it out in a scratch folder of its own, and the inspector runs on that copy. Nothing in the
// datadir is written by a read.
//
// A symlink where evidence belongs is not read: the start is refused with the path and what to do
// (a link at our own marker only makes the marker unreadable; the next successful start replaces
// the link with a real marker).

import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RpcErrorCode } from '../kernel/index.js';
import {
  DEBUG_LOG_TAIL_BYTES,
  inspectDatadir,
  NETWORK_SUBDIRS,
  VERSION_MARKER_FILE,
  versionMarkerText,
  type DatadirFacts,
  type InspectOptions,
  type MarkerEntry,
} from '../bitcoin/index.js';
import { ArchyError } from '../kernel/index.js';
import { runInAppTree, type AppTreeClientOptions } from './app-tree-client.js';
import type { ReadReply, ReadRequest } from './app-tree-ops.js';

export interface DatadirAccess {
  inspect(datadir: string, options: InspectOptions): Promise<DatadirFacts>;
  /** Writes our version marker into the datadir (atomically, as the datadir's owner). */
  writeMarker(datadir: string, entry: MarkerEntry): Promise<void>;
}

/** bitcoin.conf, settings.json, our marker: far larger is not a file bitcoind (or we) wrote. */
const SMALL_FILE_MAX_BYTES = 1024 * 1024;
/** blocks/xor.dat holds 8 bytes; a little more is read so a wrong length shows as such. */
const XOR_FILE_MAX_BYTES = 4096;
const BLOCK_FILE_PATTERN = '^blk\\d{5}\\.dat$';

/** A path in the datadir below a network's folder ('' is mainnet, the datadir itself). */
const under = (network: string, path: string): string => (network === '' ? path : `${network}/${path}`);

/** What datadir-inspect reads, as one request: the same files, folders and times. */
export function evidenceRequest(datadir: string, debugLogTailBytes: number): ReadRequest {
  const networks = [...new Set(Object.values(NETWORK_SUBDIRS))];
  return {
    op: 'read',
    root: datadir,
    files: [
      { path: 'bitcoin.conf', maxBytes: SMALL_FILE_MAX_BYTES },
      { path: VERSION_MARKER_FILE, maxBytes: SMALL_FILE_MAX_BYTES },
      ...networks.flatMap((net) => [
        { path: under(net, 'settings.json'), maxBytes: SMALL_FILE_MAX_BYTES },
        { path: under(net, 'debug.log'), maxBytes: debugLogTailBytes, tail: true },
        { path: under(net, 'blocks/xor.dat'), maxBytes: XOR_FILE_MAX_BYTES },
      ]),
    ],
    dirs: networks.flatMap((net) => [
      ...(net === '' ? [] : [net]),
      under(net, 'blocks'),
      under(net, 'indexes/coinstatsindex'),
    ]),
    // Only the first block file's name matters (is blk00000.dat still there?): a mainnet node has thousands.
    firstNames: networks.map((net) => ({ dir: under(net, 'blocks'), pattern: BLOCK_FILE_PATTERN })),
  };
}

/**
 * Lays the evidence out in `copy` as it was in the datadir, with the files' and folders' times
 * (a marker written after a clue appeared has seen it: plan-version-change.ts).
 */
export async function layOutEvidence(reply: ReadReply, copy: string): Promise<void> {
  const dirs = Object.keys(reply.dirs).sort();
  for (const dir of dirs) await mkdir(join(copy, dir), { recursive: true });
  for (const [path, file] of Object.entries(reply.files)) {
    await mkdir(dirname(join(copy, path)), { recursive: true });
    await writeFile(join(copy, path), Buffer.from(file.data, 'base64'));
    await utimes(join(copy, path), new Date(), at(file.mtimeMs));
  }
  for (const [dir, name] of Object.entries(reply.firstNames)) await writeFile(join(copy, dir, name), '');
  // Deepest first: setting a folder's time after its children were made there.
  for (const dir of dirs.reverse()) await utimes(join(copy, dir), new Date(), at(reply.dirs[dir]!.mtimeMs));
}

/**
 * Node's Stats turn mtimeMs into a Date by rounding to the millisecond; the copy gets that
 * millisecond, which reads back as the same Date (utimes keeps microseconds, so it lands within one).
 */
const at = (mtimeMs: number): number => Math.round(mtimeMs) / 1000;

const symlinkRefusal = (datadir: string, path: string): ArchyError =>
  new ArchyError(
    RpcErrorCode.Conflict,
    `${join(datadir, path)} is a symbolic link; the daemon never follows links in an app's data (its ` +
      "container could point one at any of the node's files), so it cannot read the datadir's evidence. " +
      'Replace the link with the file or folder itself, or remove it, and try again',
    { data: { symlink: join(datadir, path) } },
  );

export class UnshareDatadirAccess implements DatadirAccess {
  constructor(
    private readonly options: {
      /** A folder of the daemon's own for scratch copies (DATA_DIR/run). */
      scratchDir: string;
    } & AppTreeClientOptions,
  ) {}

  async inspect(datadir: string, options: InspectOptions): Promise<DatadirFacts> {
    const request = evidenceRequest(datadir, options.debugLogTailBytes ?? DEBUG_LOG_TAIL_BYTES);
    const reply = await runInAppTree(request, this.options);
    if (!reply.ok) {
      if (reply.symlink !== undefined) throw symlinkRefusal(datadir, reply.symlink);
      throw new Error(`could not read the datadir ${datadir}: ${reply.message}`);
    }
    const read = reply as ReadReply;
    let markerProblem: string | undefined;
    for (const path of read.symlinks) {
      if (path !== VERSION_MARKER_FILE) throw symlinkRefusal(datadir, path);
      markerProblem = `${join(datadir, path)} is a symbolic link, not a version marker; it is ignored and replaced after the next successful start`;
    }
    for (const path of read.tooLarge) {
      if (path === VERSION_MARKER_FILE) {
        markerProblem = `${join(datadir, path)} is too large to be a version marker; it is ignored and rewritten after the next successful start`;
        continue;
      }
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `${join(datadir, path)} is larger than bitcoind ever writes it; the version guard does not read it. Move it away and try again`,
      );
    }
    const copy = await this.scratch('evidence-');
    try {
      if (read.exists) await layOutEvidence(read, copy);
      const facts = await inspectDatadir(read.exists ? copy : join(copy, 'missing'), options);
      return { ...facts, datadir, ...(markerProblem !== undefined && { markerProblem }) };
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }

  async writeMarker(datadir: string, entry: MarkerEntry): Promise<void> {
    const reply = await runInAppTree(
      { op: 'write', root: datadir, name: VERSION_MARKER_FILE, text: versionMarkerText(entry), mode: 0o644 },
      this.options,
    );
    if (reply.ok) return;
    const failure = reply as { symlink?: string; message: string };
    if (failure.symlink !== undefined) throw symlinkRefusal(datadir, failure.symlink);
    throw new Error(`could not write the version marker into ${datadir}: ${failure.message}`);
  }

  private async scratch(prefix: string): Promise<string> {
    await mkdir(this.options.scratchDir, { recursive: true, mode: 0o700 });
    return mkdtemp(join(this.options.scratchDir, prefix));
  }
}
