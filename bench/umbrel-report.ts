// Issue 16's benchmark: `archy import umbrel <store> --report --json` over a real checkout of
// getumbrel/umbrel-apps vs a baseline that only reads the same files and YAML-parses them, both
// as their own Node process in the same run (so both pay Node's start). The issue asks that the
// report "finishes in seconds". The store is not part of the repository: point
// ARCHY_UMBREL_APPS at a checkout (`git clone https://github.com/getumbrel/umbrel-apps`).
// Needs core built (npm run build).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, REPO, median, now } from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

// CPU time (user + system) as GNU time reports it: on a shared machine wall time mostly measures
// the neighbours, CPU time what each side did.
const TIME = '/usr/bin/time';

/** Runs node with `args` under GNU time (CPU seconds into `cpuFile`); resolves with stdout. */
function node(args: string[], cpuFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = existsSync(TIME)
      ? spawn(TIME, ['-f', '%U %S', '-o', cpuFile, process.execPath, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString())
        : reject(new Error(`node ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString()}`)),
    );
  });
}

// The baseline: what any converter must do at least — read each app's three files and parse the
// two YAML ones — with the same YAML library the CLI uses.
const BASELINE = `
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
const { parse } = await import(process.argv[3]);
const store = process.argv[2];
let apps = 0;
await Promise.all((await readdir(store, { withFileTypes: true })).map(async (entry) => {
  if (!entry.isDirectory()) return;
  const dir = join(store, entry.name);
  const read = (name) => readFile(join(dir, name), 'utf8').catch(() => undefined);
  const [app, compose] = await Promise.all([read('umbrel-app.yml'), read('docker-compose.yml'), read('exports.sh')]);
  if (app === undefined) return;
  apps += 1;
  parse(app);
  if (compose !== undefined) parse(compose);
}));
console.log(apps);
`;

async function main(): Promise<void> {
  const store = process.env.ARCHY_UMBREL_APPS;
  if (!store) {
    console.log(
      'umbrel-report: set ARCHY_UMBREL_APPS to a checkout of getumbrel/umbrel-apps (not part of this repository); nothing measured',
    );
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'archy-bench-umbrel-'));
  try {
    const baseline = join(dir, 'baseline.mjs');
    await writeFile(baseline, BASELINE);
    const yaml = pathToFileURL(join(REPO, 'node_modules/yaml/dist/index.js')).href;
    const cpuFile = join(dir, 'cpu');
    const cpu = (): number =>
      existsSync(cpuFile)
        ? readFileSync(cpuFile, 'utf8')
            .trim()
            .split(/\s+/)
            .slice(-2)
            .map(Number)
            .reduce((a, b) => a + b, 0) * 1000
        : NaN;
    const ours: number[] = [];
    const theirs: number[] = [];
    const oursCpu: number[] = [];
    const theirsCpu: number[] = [];
    let report: { counts: Record<string, number>; reasons: Record<string, number> } | undefined;
    let apps = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternate who goes first so neither always gets the warmer cache.
      const contenders: Array<[number[], number[], () => Promise<void>]> = [
        [
          ours,
          oursCpu,
          async () => {
            report = JSON.parse(
              await node([CLI, 'import', 'umbrel', store, '--report', '--json'], cpuFile),
            ) as typeof report;
          },
        ],
        [
          theirs,
          theirsCpu,
          async () => {
            apps = Number(await node([baseline, store, yaml], cpuFile));
          },
        ],
      ];
      if (round % 2 === 1) contenders.reverse();
      for (const [times, cpuTimes, run] of contenders) {
        const started = now();
        await run();
        times.push(now() - started);
        cpuTimes.push(cpu());
      }
    }
    const ratio = median(ours) / median(theirs);
    const cpuRatio = median(oursCpu) / median(theirsCpu);
    console.log(
      JSON.stringify(
        {
          rounds: ROUNDS,
          apps,
          report: report && { counts: report.counts, reasons: report.reasons },
          archyMs: median(ours),
          baselineMs: median(theirs),
          ratio,
          archyCpuMs: median(oursCpu),
          baselineCpuMs: median(theirsCpu),
          cpuRatio,
        },
        null,
        2,
      ),
    );
    console.log(
      `\narchy import umbrel --report --json over ${apps} apps: ${(median(ours) / 1000).toFixed(2)} s vs ${(median(theirs) / 1000).toFixed(2)} s to read and YAML-parse the same files (median of ${ROUNDS}) → ${ratio.toFixed(2)}×; CPU time ${(median(oursCpu) / 1000).toFixed(2)} s vs ${(median(theirsCpu) / 1000).toFixed(2)} s → ${cpuRatio.toFixed(2)}×`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
