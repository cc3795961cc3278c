// Issue 11's download benchmark: the release downloader (core/src/pipeline/download.ts: stream →
// SHA-256 → `.part` → rename) against `curl -o` of the same ~200 MB file from the same loopback
// server in the same run (target ≥ 0.9× curl), and the resident memory of the process while it
// downloads (it should stay flat whatever the file size).
//
// Loopback is the worst case for ours: curl moves bytes at memory speed there, and the comparison
// measures CPU per byte (node's stream machinery, plus our SHA-256). A second scenario paces the
// same server at a home line's speed (BENCH_DOWNLOAD_PACE_MIBPS, default 50 MiB/s ≈ 420 Mbit/s),
// where the question is whether the downloader keeps up with the link.
//
// Each contender is its own process, so neither shares an event loop with the server or the
// other: the server is this script in `serve` mode, ours is this script in `fetch` mode, launched
// once with the node flags the daemon runs with (core/daemon-node-flags: no optimizing compiler,
// 1 MB semi-space: what a node gets) and once with node's defaults. curl only writes the file;
// ours also hashes every byte. Needs core built (npm run build): the downloader is loaded from
// core/dist.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO, median, rssKiB, sh } from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SIZE_MB = Number(process.env.BENCH_DOWNLOAD_MB ?? 200);
const PACE_MIBPS = Number(process.env.BENCH_DOWNLOAD_PACE_MIBPS ?? 50);
const PACED_ROUNDS = Number(process.env.BENCH_DOWNLOAD_PACED_ROUNDS ?? 2);
const SELF = fileURLToPath(import.meta.url);
const DAEMON_NODE_FLAGS = readFileSync(join(REPO, 'core/daemon-node-flags'), 'utf8').trim().split(/\s+/);

// Typed here rather than imported: bench/ compiles on its own and loads core's build at run time.
interface Downloader {
  downloadFile(
    url: string,
    destination: string,
    options: { maxBytes: number },
  ): Promise<{ sha256: string; bytes: number }>;
}

/**
 * `serve <file>`: a node:http static server for one file on 127.0.0.1; prints its port. At
 * `/paced/…` it sends at PACE_MIBPS, in 256 KiB slices on a clock.
 */
async function serve(file: string): Promise<void> {
  const { size } = await stat(file);
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    const source = createReadStream(file, { highWaterMark: 256 * 1024 });
    if (!req.url?.startsWith('/paced/')) {
      void pipeline(source, res).catch(() => undefined);
      return;
    }
    const started = performance.now();
    let sent = 0;
    void pipeline(
      source,
      async function* (slices: AsyncIterable<Buffer>) {
        for await (const slice of slices) {
          const due = started + (sent / (PACE_MIBPS * 1024 * 1024)) * 1000;
          if (due > performance.now()) await sleep(due - performance.now());
          sent += slice.length;
          yield slice;
        }
      },
      res,
    ).catch(() => undefined);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as { port: number }).port}\n`);
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

/** `fetch <url> <destination>`: one download with our downloader; prints its time and hash. */
async function fetchOnce(url: string, destination: string): Promise<void> {
  const { downloadFile } = (await import(
    pathToFileURL(join(REPO, 'core/dist/pipeline/download.js')).href
  )) as Downloader;
  // Ready: the parent starts sampling memory now; the clock starts on its go.
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const started = performance.now();
  const file = await downloadFile(url, destination, { maxBytes: 4 * SIZE_MB * 1024 * 1024 });
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ms, sha256: file.sha256, bytes: file.bytes })}\n`);
  process.stdin.destroy();
}

function lines(child: ChildProcess): AsyncIterator<string> {
  return (async function* () {
    let buffered = '';
    for await (const chunk of child.stdout!) {
      buffered += String(chunk);
      let at;
      while ((at = buffered.indexOf('\n')) >= 0) {
        yield buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
      }
    }
  })();
}

/** Highest VmRSS of `pid` until `done` settles, sampled every 20 ms. */
async function peakRss<T>(pid: number, done: Promise<T>): Promise<{ result: T; peakKiB: number }> {
  let peakKiB = 0;
  const sample = (): void => {
    try {
      peakKiB = Math.max(peakKiB, rssKiB(pid));
    } catch {
      // exited
    }
  };
  sample();
  const timer = setInterval(sample, 20);
  try {
    return { result: await done, peakKiB };
  } finally {
    clearInterval(timer);
  }
}

interface Round {
  ms: number;
  peakKiB: number;
  /** Ours only: the process's RSS once loaded, before the download. */
  readyKiB?: number;
}

async function ours(url: string, destination: string, flags: string[], expected: string): Promise<Round> {
  const child = spawn(process.execPath, [...flags, SELF, 'fetch', url, destination], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const out = lines(child);
  if ((await out.next()).value !== 'ready') throw new Error('the fetch process did not start');
  const readyKiB = rssKiB(child.pid!);
  child.stdin!.write('go\n');
  const { result, peakKiB } = await peakRss(child.pid!, out.next());
  const report = JSON.parse(String(result.value)) as { ms: number; sha256: string };
  if (report.sha256 !== expected) throw new Error(`our download hashed to ${report.sha256}, not ${expected}`);
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
  return { ms: report.ms, peakKiB, readyKiB };
}

async function curl(url: string, destination: string, bytes: number): Promise<Round> {
  const child = spawn('curl', ['-sS', '--fail', '-o', destination, '-w', '%{time_total}', url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exited ${code}`))));
  });
  const { result, peakKiB } = await peakRss(child.pid!, exited);
  if ((await stat(destination)).size !== bytes) throw new Error('curl wrote a file of the wrong size');
  return { ms: Number(result) * 1000, peakKiB };
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const chunk = 4 * 1024 * 1024;
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += chunk) {
    if (!out.write(randomBytes(Math.min(chunk, bytes - written))))
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
}

const CONTENDERS = ['curl', 'ours, daemon flags', 'ours, node defaults'] as const;
type Contender = (typeof CONTENDERS)[number];
interface Summary {
  medianMs: number;
  MiBps: number;
  /** Against curl's median in the same scenario. */
  ratio: number;
  peakRssMiB: number;
  rssBeforeDownloadMiB?: number;
}

/** Every contender `rounds` times on the same URL, in a rotating order. */
async function scenario(
  url: string,
  rounds: number,
  dir: string,
  bytes: number,
  expected: string,
): Promise<Record<Contender, Summary>> {
  const runs: Record<Contender, (target: string) => Promise<Round>> = {
    curl: (target) => curl(url, target, bytes),
    'ours, daemon flags': (target) => ours(url, target, DAEMON_NODE_FLAGS, expected),
    'ours, node defaults': (target) => ours(url, target, [], expected),
  };
  const results = new Map<Contender, Round[]>(CONTENDERS.map((name) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    // Rotate who goes first so no one always gets the warmer cache or the quieter CPU.
    const order = [...CONTENDERS.slice(round % 3), ...CONTENDERS.slice(0, round % 3)];
    for (const name of order) {
      const target = join(dir, `download-${round}`);
      results.get(name)!.push(await runs[name](target));
      await rm(target, { force: true });
    }
  }
  const mibps = (list: Round[]): number => SIZE_MB / (median(list.map((r) => r.ms)) / 1000);
  const curlMiBps = mibps(results.get('curl')!);
  const summary = (list: Round[]): Summary => ({
    medianMs: median(list.map((r) => r.ms)),
    MiBps: mibps(list),
    ratio: mibps(list) / curlMiBps,
    peakRssMiB: Math.max(...list.map((r) => r.peakKiB)) / 1024,
    ...(list[0]?.readyKiB !== undefined
      ? { rssBeforeDownloadMiB: median(list.map((r) => r.readyKiB!)) / 1024 }
      : {}),
  });
  return Object.fromEntries(CONTENDERS.map((name) => [name, summary(results.get(name)!)])) as Record<
    Contender,
    Summary
  >;
}

function describeScenario(title: string, result: Record<Contender, Summary>): string[] {
  return [
    `${SIZE_MB} MiB, ${title}: curl -o ${result.curl.MiBps.toFixed(0)} MiB/s`,
    ...(['ours, daemon flags', 'ours, node defaults'] as const).map((name) => {
      const r = result[name];
      return (
        `  ${name}: ${r.MiBps.toFixed(0)} MiB/s (stream + SHA-256 + .part + rename) → ${r.ratio.toFixed(2)}× curl ` +
        `(target ≥ 0.90); RSS ${r.rssBeforeDownloadMiB!.toFixed(0)} MiB loaded, ${r.peakRssMiB.toFixed(0)} MiB peak ` +
        'while downloading'
      );
    }),
  ];
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'archy-bench-download-'));
  const file = join(dir, 'bitcoin-bench-x86_64-linux-gnu.tar.gz');
  let server: ChildProcess | undefined;
  try {
    const bytes = SIZE_MB * 1024 * 1024;
    await writeRandomFile(file, bytes);
    const expected = (await sh('sha256sum', [file])).split(' ')[0]!; // also warms the page cache
    server = spawn(process.execPath, [SELF, 'serve', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = (await lines(server).next()).value as string;
    const name = 'bitcoin-bench-x86_64-linux-gnu.tar.gz';
    const loopback = await scenario(`http://127.0.0.1:${port}/${name}`, ROUNDS, dir, bytes, expected);
    const paced = await scenario(
      `http://127.0.0.1:${port}/paced/${name}`,
      PACED_ROUNDS,
      dir,
      bytes,
      expected,
    );
    console.log(
      JSON.stringify({ sizeMiB: SIZE_MB, loopback, [`paced at ${PACE_MIBPS} MiB/s`]: paced }, null, 2),
    );
    console.log(
      [
        '',
        ...describeScenario(`loopback, full speed (median of ${ROUNDS})`, loopback),
        ...describeScenario(`loopback, paced at ${PACE_MIBPS} MiB/s (median of ${PACED_ROUNDS})`, paced),
      ].join('\n'),
    );
  } finally {
    server?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') await serve(args[0]!);
else if (mode === 'fetch') await fetchOnce(args[0]!, args[1]!);
else await main();
