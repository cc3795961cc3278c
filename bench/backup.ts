// Issue 17's backup benchmark: 1 GiB of app data (half random, half compressible text) in a test
// app's volume, backed up first and then incrementally (~5 % changed) by `archy backup create` and
// by `restic backup` run by hand on the same files, each into a fresh repository per round, in the
// same run. Reports the median of BENCH_ROUNDS (default 3) and archy/restic (target ≤ 1.10).
//
// archy's time is the whole command as a user sees it: the app stopped for a consistent copy and
// started again, the snapshot's metadata, restic under `podman unshare`. restic by hand reads the
// same folder with no stop; both use the node's own restic binary and default repository format.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureImage,
  freePort,
  helloManifest,
  median,
  now,
  removeDataDir,
  sh,
  startBenchDaemon,
  type BenchDaemon,
} from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS_BACKUP ?? 3);
const APP = 'bench-backup';
const MiB = 1024 * 1024;
/** 64 × 8 MiB of random bytes (incompressible) + 512 × 1 MiB of text (compressible) = 1 GiB. */
const RANDOM_FILES = 64;
const RANDOM_FILE_MiB = 8;
const TEXT_FILES = 512;
const TEXT_FILE_MiB = 1;

/** Text that compresses like logs do: repeated structure, varying numbers. */
function textFile(seed: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < TEXT_FILE_MiB * MiB; i += 1) {
    const line = `2026-12-06T10:${String(i % 60).padStart(2, '0')}:00Z level=info app=${APP} seed=${seed} n=${i} msg="block ${800_000 + i} connected, ${(i * 7919) % 10_000} tx"\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, TEXT_FILE_MiB * MiB);
}

async function fillVolume(volume: string): Promise<void> {
  await mkdir(join(volume, 'random'), { recursive: true });
  await mkdir(join(volume, 'text'), { recursive: true });
  for (let i = 0; i < RANDOM_FILES; i += 1)
    await writeFile(join(volume, 'random', `r${i}.bin`), randomBytes(RANDOM_FILE_MiB * MiB));
  for (let i = 0; i < TEXT_FILES; i += 1) await writeFile(join(volume, 'text', `t${i}.log`), textFile(i));
}

/** ~5 % of the bytes: 3 random files rewritten (24 MiB) and 27 text files changed (27 MiB). */
async function changeFivePercent(volume: string, round: number): Promise<void> {
  await mkdir(join(volume, 'random'), { recursive: true });
  await mkdir(join(volume, 'text'), { recursive: true });
  for (let i = 0; i < 3; i += 1)
    await writeFile(
      join(volume, 'random', `r${(round * 3 + i) % RANDOM_FILES}.bin`),
      randomBytes(RANDOM_FILE_MiB * MiB),
    );
  for (let i = 0; i < 27; i += 1) {
    const index = (round * 27 + i) % TEXT_FILES;
    await writeFile(join(volume, 'text', `t${index}.log`), textFile(index + 10_000 * (round + 1)));
  }
}

/** Copies the staged files over the volume's, owned like the volume, inside the user namespace. */
async function syncIntoVolume(stage: string, volume: string): Promise<void> {
  await sh('podman', [
    'unshare',
    'sh',
    '-c',
    'cp -r "$1/." "$2/" && chown -R "$(stat -c %u:%g "$2")" "$2"',
    'sh',
    stage,
    volume,
  ]);
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = now();
  await run();
  return now() - started;
}

interface Contender {
  first: number[];
  incremental: number[];
}

async function main(): Promise<void> {
  await ensureImage();
  const work = await mkdtemp(join(tmpdir(), 'archy-bench-backup-'));
  let daemon: BenchDaemon | undefined;
  try {
    daemon = await startBenchDaemon();
    const manifest = join(work, `${APP}.yml`);
    // Stops on SIGTERM, as node apps do: busybox httpd as PID 1 ignores it, and every backup
    // would wait out the 2 s stop timeout — the test app's doing, not the backup's.
    const stopsOnTerm = helloManifest(APP, await freePort()).replace(
      'command: ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /www"]',
      `command: ["/bin/sh", "-c", "httpd -f -p 8080 -h /www & trap 'kill $!; exit 0' TERM; wait"]`,
    );
    await writeFile(manifest, stopsOnTerm);
    await daemon.cli(['install', manifest, '--json']);
    const volume = join(daemon.dataDir, 'apps', APP, 'data');
    // The volume belongs to the container's uid (a sub-uid of this user): the data is written to a
    // staging folder, then copied in and given the volume's owner from inside the user namespace.
    const stage = join(work, 'stage');
    await fillVolume(stage);
    await syncIntoVolume(stage, volume);
    const password = join(work, 'restic-password');
    await writeFile(password, randomBytes(24).toString('hex'), { mode: 0o600 });

    const archy: Contender = { first: [], incremental: [] };
    const restic: Contender = { first: [], incremental: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      // A fresh repository for each, every round; the order alternates so cache warmth and drift
      // favour neither.
      const archyRepo = join(work, `archy-${round}`);
      const handRepo = join(work, `restic-${round}`);
      await daemon.cli(['backup', 'init', '--to', archyRepo, '--same-disk', '--confirm-key-saved', '--json']);
      await sh('podman', ['unshare', 'restic', '-r', handRepo, '--password-file', password, 'init']);
      const byArchy = () => daemon!.cli(['backup', 'create', APP, '--json']);
      // By hand, as a user of a rootless node must (the files are the container sub-uid's): in the
      // user namespace, from the data dir, so the paths in the snapshot are relative.
      const byHand = () =>
        sh('podman', [
          'unshare',
          'sh',
          '-c',
          `cd "$1" && exec restic -r "$2" --password-file "$3" backup --json apps/${APP} >/dev/null`,
          'sh',
          daemon!.dataDir,
          handRepo,
          password,
        ]);
      const pair = async (into: 'first' | 'incremental') => {
        if (round % 2 === 0) {
          archy[into].push(await timed(byArchy));
          restic[into].push(await timed(byHand));
        } else {
          restic[into].push(await timed(byHand));
          archy[into].push(await timed(byArchy));
        }
      };
      await pair('first');
      await rm(stage, { recursive: true, force: true });
      await changeFivePercent(stage, round);
      await syncIntoVolume(stage, volume);
      await pair('incremental');
      await removeDataDir(archyRepo);
      await removeDataDir(handRepo);
    }

    const row = (name: string, a: number[], r: number[]) => {
      const ratio = median(a) / median(r);
      return {
        name,
        archyMs: median(a),
        resticMs: median(r),
        ratio,
        line: `${name}: archy ${(median(a) / 1000).toFixed(2)} s vs restic ${(median(r) / 1000).toFixed(2)} s (median of ${ROUNDS}) → ratio ${ratio.toFixed(2)} (target ≤ 1.10)`,
      };
    };
    const rows = [
      row('first backup, 1 GiB', archy.first, restic.first),
      row('incremental, ~5 % changed', archy.incremental, restic.incremental),
    ];
    console.log(
      JSON.stringify(
        { rounds: ROUNDS, archy, restic, rows: rows.map(({ line: _line, ...r }) => r) },
        null,
        2,
      ),
    );
    console.log(['', ...rows.map((r) => r.line)].join('\n'));
  } finally {
    if (daemon) {
      await daemon.cli(['remove', APP, '--purge', '--yes']).catch(() => '');
      await daemon.stop();
      await removeDataDir(daemon.dataDir).catch(() => undefined);
    }
    await removeDataDir(work).catch(() => undefined);
  }
}

await main();
