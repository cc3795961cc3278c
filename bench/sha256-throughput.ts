// Issue 6's benchmark: SHA-256 verification throughput of a 200 MB release-sized file through
// the pipeline's streamed hasher vs `sha256sum` in the same run (target ≥ 0.8×), plus the
// download path (loopback HTTP → hash → file, as verifyRelease fetches a tarball) for scale.
// Needs core built (npm run build): the hasher is loaded from core/dist.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { REPO, median, now, sh } from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SIZE_MB = Number(process.env.BENCH_SHA256_MB ?? 200);

// Typed here rather than imported: bench/ compiles on its own and loads core's build at run time.
interface PipelineHashing {
  sha256OfFile(path: string): Promise<string>;
  downloadFile(
    url: string,
    destination: string,
    options: { maxBytes: number },
  ): Promise<{ sha256: string; bytes: number }>;
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const chunk = 4 * 1024 * 1024;
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += chunk) {
    const piece = randomBytes(Math.min(chunk, bytes - written));
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
}

async function sha256sum(path: string): Promise<string> {
  return (await sh('sha256sum', [path])).split(' ')[0]!;
}

async function main(): Promise<void> {
  const pipelineModule = (await import(
    pathToFileURL(join(REPO, 'core/dist/pipeline/index.js')).href
  )) as PipelineHashing;
  const dir = await mkdtemp(join(tmpdir(), 'archy-bench-sha256-'));
  const file = join(dir, 'bitcoin-bench-x86_64-linux-gnu.tar.gz');
  const server = createServer((_req, res) => {
    void stat(file).then((info) => {
      res.writeHead(200, { 'content-length': info.size });
      void pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), res).catch(() => undefined);
    });
  });
  try {
    await writeRandomFile(file, SIZE_MB * 1024 * 1024);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/tarball`;
    const expected = await sha256sum(file); // also warms the page cache for both contenders

    const ours: number[] = [];
    const theirs: number[] = [];
    const download: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternate who goes first so neither always gets the warmer cache or the quieter CPU.
      const contenders: [number[], () => Promise<string>][] = [
        [ours, () => pipelineModule.sha256OfFile(file)],
        [theirs, () => sha256sum(file)],
      ];
      if (round % 2 === 1) contenders.reverse();
      for (const [times, run] of contenders) {
        const started = now();
        const hex = await run();
        times.push(now() - started);
        if (hex !== expected) throw new Error(`hash mismatch: ${hex} vs ${expected}`);
      }
      const target = join(dir, `download-${round}`);
      const started = now();
      const fetched = await pipelineModule.downloadFile(url, target, { maxBytes: 2 * SIZE_MB * 1024 * 1024 });
      download.push(now() - started);
      if (fetched.sha256 !== expected) throw new Error('download hash mismatch');
      await rm(target);
    }

    const mbps = (ms: number): number => SIZE_MB / (ms / 1000);
    const ratio = mbps(median(ours)) / mbps(median(theirs));
    const report = {
      rounds: ROUNDS,
      sizeMiB: SIZE_MB,
      streamedHasher: { medianMs: median(ours), MiBps: mbps(median(ours)) },
      sha256sum: { medianMs: median(theirs), MiBps: mbps(median(theirs)) },
      ratio,
      downloadHashWrite: { medianMs: median(download), MiBps: mbps(median(download)) },
    };
    console.log(JSON.stringify(report, null, 2));
    console.log(
      [
        '',
        `SHA-256 of ${SIZE_MB} MiB: streamed hasher ${mbps(median(ours)).toFixed(0)} MiB/s vs sha256sum ${mbps(median(theirs)).toFixed(0)} MiB/s (median of ${ROUNDS}) → ratio ${ratio.toFixed(2)} (target ≥ 0.80)`,
        `loopback download → hash → file: ${mbps(median(download)).toFixed(0)} MiB/s`,
      ].join('\n'),
    );
  } finally {
    server.closeAllConnections();
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
