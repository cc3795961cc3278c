// Reads and writes a Bitcoin datadir that belongs to the container's user.
//
// Data volumes are mounted with `:U`, so Podman chowns them to the container user — a sub-uid of
// the daemon's user — and bitcoind's umask 077 leaves the files unreadable to the daemon itself.
// `podman unshare` runs a command in the rootless user namespace, where the daemon's user is root
// over its sub-uids. Each call costs most of a second, so the reader does not ask file by file:
// one call copies exactly the evidence datadir-inspect reads (bitcoin.conf, our marker, per
// network settings.json, the tail of debug.log, blocks/xor.dat, the first block file's name,
// whether indexes/coinstatsindex/ exists, with the times of both clues) into a scratch folder of the daemon's, and the
// inspector runs on that copy. Nothing in the datadir is written by a read.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DEBUG_LOG_TAIL_BYTES,
  inspectDatadir,
  VERSION_MARKER_FILE,
  writeVersionMarker,
  type DatadirFacts,
  type InspectOptions,
  type MarkerEntry,
} from '../bitcoin/index.js';

const run = promisify(execFile);

export interface DatadirAccess {
  inspect(datadir: string, options: InspectOptions): Promise<DatadirFacts>;
  /** Writes our version marker into the datadir (atomically, as the datadir's owner). */
  writeMarker(datadir: string, entry: MarkerEntry): Promise<void>;
}

// $1 datadir, $2 scratch copy, $3 debug.log tail bytes. Exit 3: no datadir.
const COPY_EVIDENCE = `
set -e
src=$1; dst=$2; tail_bytes=$3
[ -d "$src" ] || exit 3
for f in bitcoin.conf ${VERSION_MARKER_FILE}; do
  if [ -f "$src/$f" ]; then cp "$src/$f" "$dst/$f"; fi
done
for net in . testnet3 testnet4 signet regtest; do
  s="$src/$net"; d="$dst/$net"
  [ -d "$s" ] || continue
  mkdir -p "$d"
  if [ -f "$s/settings.json" ]; then cp "$s/settings.json" "$d/settings.json"; fi
  if [ -f "$s/debug.log" ]; then tail -c "$tail_bytes" "$s/debug.log" > "$d/debug.log"; fi
  if [ -d "$s/blocks" ]; then
    mkdir -p "$d/blocks"
    # The times go along: a marker written after a clue appeared has seen it (plan-version-change.ts).
    if [ -f "$s/blocks/xor.dat" ]; then cp "$s/blocks/xor.dat" "$d/blocks/xor.dat"; touch -r "$s/blocks/xor.dat" "$d/blocks/xor.dat"; fi
    # Only the first block file's name matters (is blk00000.dat still there?): a mainnet node has thousands.
    for b in "$s"/blocks/blk*.dat; do
      if [ -e "$b" ]; then : > "$d/blocks/\${b##*/}"; break; fi
    done
  fi
  if [ -d "$s/indexes/coinstatsindex" ]; then
    mkdir -p "$d/indexes/coinstatsindex"; touch -r "$s/indexes/coinstatsindex" "$d/indexes/coinstatsindex"
  fi
done
`;

// $1 marker file (ours), $2 datadir, $3 marker name. Owned like the datadir, replaced atomically.
const INSTALL_MARKER = `
set -e
tmp="$2/.$3.tmp"
cp "$1" "$tmp"
chown "$(stat -c %u:%g "$2")" "$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$2/$3"
`;

export class UnshareDatadirAccess implements DatadirAccess {
  constructor(
    private readonly options: {
      /** A folder of the daemon's own for scratch copies (DATA_DIR/run). */
      scratchDir: string;
      podmanBinary?: string;
    },
  ) {}

  async inspect(datadir: string, options: InspectOptions): Promise<DatadirFacts> {
    const copy = await this.scratch('evidence-');
    try {
      const tail = options.debugLogTailBytes ?? DEBUG_LOG_TAIL_BYTES;
      const code = await this.unshare([
        'sh',
        '-c',
        COPY_EVIDENCE,
        'archy-evidence',
        datadir,
        copy,
        String(tail),
      ]);
      const facts = await inspectDatadir(code === 3 ? join(copy, 'missing') : copy, options);
      return { ...facts, datadir };
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }

  async writeMarker(datadir: string, entry: MarkerEntry): Promise<void> {
    const staging = await this.scratch('marker-');
    try {
      await writeVersionMarker(staging, entry);
      const code = await this.unshare([
        'sh',
        '-c',
        INSTALL_MARKER,
        'archy-marker',
        join(staging, VERSION_MARKER_FILE),
        datadir,
        VERSION_MARKER_FILE,
      ]);
      if (code !== 0) throw new Error(`could not write the version marker into ${datadir}`);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private async scratch(prefix: string): Promise<string> {
    await mkdir(this.options.scratchDir, { recursive: true, mode: 0o700 });
    return mkdtemp(join(this.options.scratchDir, prefix));
  }

  /** Runs `argv` in the rootless user namespace; returns its exit code (3 is the scripts' "missing"). */
  private async unshare(argv: string[]): Promise<number> {
    try {
      await run(this.options.podmanBinary ?? 'podman', ['unshare', ...argv], { timeout: 60_000 });
      return 0;
    } catch (error) {
      const failure = error as { code?: number | string; stderr?: string; message: string };
      if (failure.code === 3) return 3;
      throw new Error(
        `podman unshare failed (${(failure.stderr ?? failure.message).trim()}); the daemon reads app datadirs ` +
          'through it: check that rootless Podman works for this user (podman unshare true)',
        { cause: error },
      );
    }
  }
}
