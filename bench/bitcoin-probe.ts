// Issue 12 part 2's benchmark: what one healthy Bitcoin node's health probe adds to the machine
// over ten minutes — processes and memory — with the daemon's probe (getblockchaininfo over
// JSON-RPC from the daemon itself; or, when the RPC port is not published, one short nsenter +
// busybox nc inside the app's network) against the old probe, a libpod exec session running
// `bitcoin-cli getblockchaininfo` in the container, which Podman 4.3 keeps alive with its conmon
// for five minutes after each probe (`--exit-delay 300`).
//
// The node is the bitcoind TEST DOUBLE (core/test/support/bitcoind-double, compiled here, image
// localhost/archy-bench/bitcoind-double), on regtest. Each phase runs BENCH_MINUTES (default 10)
// at BENCH_INTERVAL_S (default 30, the interval apps/bitcoin-core/manifest.yml ships with); the
// old probe is replayed by this bench with the exact libpod call the daemon used to make, on the
// daemon's own Podman service, at the same interval. Needs core built (npm run build).
//
//   BENCH_PHASES=published,inside,old-exec (default: all three)
import { mkdtemp, readFile, rm, symlink, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { compileBitcoindDouble } from './release-fixture.js';
import { REPO, freePort, median, removeDataDir, sh, startBenchDaemon, type BenchDaemon } from './support.js';

const MINUTES = Number(process.env.BENCH_MINUTES ?? 10);
const INTERVAL_S = Number(process.env.BENCH_INTERVAL_S ?? 30);
/** The interval the bundled Bitcoin manifests use, for the projection. */
const BUNDLED_INTERVAL_S = 30;
/** Podman 4.3's --exit-delay for API exec sessions: how long each one's conmon stays. */
const EXIT_DELAY_S = 300;
const PHASES = (process.env.BENCH_PHASES ?? 'published,inside,old-exec').split(',');
const IMAGE = 'localhost/archy-bench/bitcoind-double:31.0';
const CONTENT_LABEL = 'io.archipelago.bench.content';
const CLI_COMMAND = ['bitcoin-cli', '-regtest', '-datadir=/data', 'getblockchaininfo'];

// Typed here: bench/ compiles on its own and loads core's build at run time.
interface PodmanModule {
  PodmanClient: new (options: { socketPath: string }) => {
    execContainer(
      id: string,
      cmd: string[],
      options: { timeoutMs: number },
    ): Promise<{ exitCode: number; output: string }>;
    close(): Promise<void>;
  };
}
const load = async <T>(path: string): Promise<T> =>
  (await import(pathToFileURL(join(REPO, 'core/dist', path)).href)) as T;

// ---------------------------------------------------------------------------------------------
// Processes, from /proc

interface Proc {
  pid: number;
  ppid: number;
  args: string[];
}
// core/src/util/process-table.ts, from core's build (bench/ compiles on its own).
interface ProcessTableModule {
  processTable(): Proc[];
  descendantsOf(root: number, table: readonly Proc[]): Proc[];
}
const { processTable, descendantsOf } = await load<ProcessTableModule>('util/process-table.js');

/** RSS and PSS of a process in KiB (PSS shares a library's pages among the processes mapping it). */
function memoryKiB(pid: number): { rss: number; pss: number } {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
    return { rss: field('Rss'), pss: field('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

const sumMemory = (procs: Proc[]) =>
  procs
    .map((proc) => memoryKiB(proc.pid))
    .reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 });

// ---------------------------------------------------------------------------------------------
// The node

/** The double in a FROM-scratch image: bitcoind, bitcoin-cli (a link to it) and busybox's sh. */
async function ensureImage(): Promise<void> {
  const source = readFileSync(join(REPO, 'core/test/support/bitcoind-double/bitcoind-double.c'));
  const content = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const have = await sh('podman', [
    'image',
    'inspect',
    '--format',
    `{{index .Labels "${CONTENT_LABEL}"}}`,
    IMAGE,
  ]).catch(() => '');
  if (have.trim() === content) return;
  const work = await mkdtemp(join(tmpdir(), 'archy-bench-double-'));
  try {
    const binary = await compileBitcoindDouble(join(work, 'build'), '31.0');
    const root = join(work, 'root');
    await mkdir(join(root, 'usr/local/bin'), { recursive: true });
    await mkdir(join(root, 'bin'), { recursive: true });
    await mkdir(join(root, 'tmp'), { recursive: true });
    await copyFile(binary, join(root, 'usr/local/bin/bitcoind'));
    await symlink('bitcoind', join(root, 'usr/local/bin/bitcoin-cli'));
    await copyFile('/bin/busybox', join(root, 'bin/busybox'));
    await symlink('busybox', join(root, 'bin/sh'));
    await sh('tar', ['-C', root, '-cf', join(work, 'rootfs.tar'), '.']);
    await sh('podman', [
      'import',
      '-q',
      '--change',
      'ENV PATH=/usr/local/bin:/bin',
      '--change',
      'CMD ["bitcoind"]',
      '--change',
      `LABEL ${CONTENT_LABEL}=${content}`,
      join(work, 'rootfs.tar'),
      IMAGE,
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** One node, the bitcoin probe at INTERVAL_S; its RPC port published on loopback, or not at all. */
function nodeManifest(id: string, rpcHostPort: number | undefined): string {
  const published = rpcHostPort !== undefined;
  return [
    `id: ${id}`,
    `name: ${id}`,
    'version: "31.0"',
    `image: ${IMAGE}`,
    `command: ["bitcoind", "-datadir=/data", "-printtoconsole=1", "-server=1", "-regtest"${
      published ? ', "-rpcbind=0.0.0.0", "-rpcallowip=10.0.0.0/8"' : ''
    }]`,
    ...(published ? ['ports:', `  - { container: 18443, host: ${rpcHostPort}, expose: local }`] : []),
    'volumes: [{ mount: /data, name: bitcoin }]',
    'resources: { memory: 128M }',
    'security: { user: "1000:1000", tmpfs: [/tmp] }',
    `health: { bitcoin: {}, interval: ${INTERVAL_S}s, timeout: 10s, startPeriod: 1m, retries: 5 }`,
    'stopTimeout: 10s',
    'bitcoin: { implementation: core, network: regtest, datadir: /data }',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// A phase: ten minutes of one node, sampled

interface Sample {
  atS: number;
  daemonRssKiB: number;
  serviceRssKiB: number;
  /** conmon processes for the node's container beyond the one that runs it. */
  execConmon: number;
  execConmonRssKiB: number;
  execConmonPssKiB: number;
  /** Processes under the daemon other than its Podman service and what that runs. */
  daemonHelpers: number;
}

interface PhaseResult {
  phase: string;
  minutes: number;
  intervalS: number;
  probes: number;
  /** Processes the probe added that were still there at the end (two looks 1.5 s apart). */
  lingeringAtEnd: { count: number; rssKiB: number; pssKiB: number; what: string[] };
  /** The most processes of the probe seen at once (sampled every 100 ms). */
  mostSeenAtOnce: number;
  daemonRssMiB: { firstMinuteMedian: number; lastMinuteMedian: number; added: number };
  serviceRssMiB: { firstMinuteMedian: number; lastMinuteMedian: number; added: number };
  samples: Sample[];
}

async function runPhase(
  daemon: BenchDaemon,
  phase: string,
  id: string,
  oldProbe?: (name: string) => Promise<void>,
): Promise<PhaseResult> {
  const ctr = (await sh('podman', ['inspect', '--format', '{{.Id}}', `archy-${id}`])).trim();
  const daemonPid = daemon.process.pid!;
  const serviceOf = (table: Proc[]) =>
    descendantsOf(daemonPid, table).find(
      (proc) => proc.args.includes('system') && proc.args.includes('service'),
    );
  const execConmonOf = (table: Proc[]) =>
    table.filter(
      (proc) =>
        (proc.args[0] ?? '').endsWith('conmon') &&
        proc.args.includes(ctr) &&
        proc.args.includes('--exec-process-spec'),
    );
  /** What a probe can add: exec sessions' conmon (anywhere: it double-forks away) and helpers under the daemon. */
  const probeProcesses = (table: Proc[]) => {
    const service = serviceOf(table);
    const serviceTree = new Set(
      service ? [service.pid, ...descendantsOf(service.pid, table).map((p) => p.pid)] : [],
    );
    const helpers = descendantsOf(daemonPid, table).filter((proc) => !serviceTree.has(proc.pid));
    return { conmon: execConmonOf(table), helpers, service };
  };

  const samples: Sample[] = [];
  let mostSeen = 0;
  let probes = 0;
  const started = Date.now();
  const endAt = started + MINUTES * 60_000;
  let nextSample = started;
  let nextOld = started;
  while (Date.now() < endAt) {
    const table = processTable();
    const { conmon, helpers, service } = probeProcesses(table);
    mostSeen = Math.max(mostSeen, conmon.length + helpers.length);
    if (oldProbe && Date.now() >= nextOld) {
      nextOld += INTERVAL_S * 1000;
      probes += 1;
      await oldProbe(`archy-${id}`);
    }
    if (Date.now() >= nextSample) {
      nextSample += 10_000;
      const memory = sumMemory(conmon);
      samples.push({
        atS: Math.round((Date.now() - started) / 1000),
        daemonRssKiB: memoryKiB(daemonPid).rss,
        serviceRssKiB: service ? memoryKiB(service.pid).rss : 0,
        execConmon: conmon.length,
        execConmonRssKiB: memory.rss,
        execConmonPssKiB: memory.pss,
        daemonHelpers: helpers.length,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!oldProbe) probes = Math.floor((MINUTES * 60) / INTERVAL_S);

  // Lasting: in two looks 1.5 s apart (a probe's own processes live for milliseconds).
  const first = probeProcesses(processTable());
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const second = probeProcesses(processTable());
  const key = (proc: Proc) => `${proc.pid} ${proc.args.join(' ')}`;
  const secondKeys = new Set([...second.conmon, ...second.helpers].map(key));
  const lasting = [...first.conmon, ...first.helpers].filter((proc) => secondKeys.has(key(proc)));
  const lastingMemory = sumMemory(lasting);

  const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;
  const firstMinute = samples.filter((s) => s.atS < 60);
  const lastMinute = samples.filter((s) => s.atS >= MINUTES * 60 - 60);
  const rssOf = (pick: (s: Sample) => number) => {
    const a = mib(median(firstMinute.map(pick)));
    const b = mib(median(lastMinute.map(pick)));
    return { firstMinuteMedian: a, lastMinuteMedian: b, added: Math.round((b - a) * 10) / 10 };
  };
  return {
    phase,
    minutes: MINUTES,
    intervalS: INTERVAL_S,
    probes,
    lingeringAtEnd: {
      count: lasting.length,
      rssKiB: lastingMemory.rss,
      pssKiB: lastingMemory.pss,
      what: [...new Set(lasting.map((proc) => (proc.args[0] ?? '?').split('/').pop()!))],
    },
    mostSeenAtOnce: mostSeen,
    daemonRssMiB: rssOf((s) => s.daemonRssKiB),
    serviceRssMiB: rssOf((s) => s.serviceRssKiB),
    samples,
  };
}

async function install(daemon: BenchDaemon, id: string, rpcHostPort: number | undefined): Promise<void> {
  const file = join(daemon.dataDir, `${id}.yml`);
  writeFileSync(file, nodeManifest(id, rpcHostPort));
  await daemon.cli(['install', file, '--json']);
}

async function main(): Promise<void> {
  await ensureImage();
  const logFile = join(tmpdir(), `archy-bench-bitcoin-probe-${process.pid}.log`);
  const daemon = await startBenchDaemon({ logFile });
  const installed: string[] = [];
  const results: PhaseResult[] = [];
  try {
    const ready = (await readFile(logFile, 'utf8'))
      .split('\n')
      .filter((line) => line.includes('archipelagod is ready'))
      .map((line) => JSON.parse(line) as { podman?: string })[0];
    const socketPath = ready?.podman;
    if (!socketPath) throw new Error(`the daemon did not log its Podman socket (${logFile})`);

    const settle = () => new Promise((resolve) => setTimeout(resolve, 30_000));
    if (PHASES.includes('published')) {
      const id = 'bench-probe-published';
      await install(daemon, id, await freePort());
      installed.push(id);
      await settle();
      results.push(
        await runPhase(daemon, 'new probe, RPC port published on loopback (node:http from the daemon)', id),
      );
      await daemon.cli(['remove', id, '--purge', '--yes']);
      installed.pop();
    }
    if (PHASES.includes('inside')) {
      const id = 'bench-probe-inside';
      await install(daemon, id, undefined);
      installed.push(id);
      await settle();
      results.push(
        await runPhase(
          daemon,
          "new probe, RPC port unpublished (nsenter + busybox nc in the app's network)",
          id,
        ),
      );
      await daemon.cli(['remove', id, '--purge', '--yes']);
      installed.pop();
    }
    if (PHASES.includes('old-exec')) {
      // The same node; the old probe replayed beside the daemon's (which adds no process), through
      // the daemon's own Podman service: the libpod exec call the daemon used to make.
      const id = 'bench-probe-old';
      await install(daemon, id, await freePort());
      installed.push(id);
      await settle();
      const { PodmanClient } = await load<PodmanModule>('podman/index.js');
      const client = new PodmanClient({ socketPath });
      try {
        results.push(
          await runPhase(
            daemon,
            'old probe: libpod exec of bitcoin-cli getblockchaininfo (podman exec)',
            id,
            async (name) => {
              const { exitCode, output } = await client.execContainer(name, CLI_COMMAND, {
                timeoutMs: 10_000,
              });
              if (exitCode !== 0) throw new Error(`bitcoin-cli exited ${exitCode}: ${output}`);
            },
          ),
        );
      } finally {
        await client.close();
      }
      // Ours: the sessions this bench made. Ended by pid rather than left for five minutes.
      const ctr = (await sh('podman', ['inspect', '--format', '{{.Id}}', `archy-${id}`])).trim();
      for (const proc of processTable()) {
        if (
          (proc.args[0] ?? '').endsWith('conmon') &&
          proc.args.includes(ctr) &&
          proc.args.includes('--exec-process-spec')
        ) {
          try {
            process.kill(proc.pid, 'SIGKILL');
          } catch {
            // Gone.
          }
        }
      }
      await daemon.cli(['remove', id, '--purge', '--yes']);
      installed.pop();
    }

    const out = join(tmpdir(), `archy-bench-bitcoin-probe-${process.pid}.json`);
    await writeFile(out, JSON.stringify(results, null, 2));
    console.log(
      JSON.stringify(
        results.map(({ samples: _samples, ...summary }) => summary),
        null,
        2,
      ),
    );
    console.log(`\nsamples (every 10 s): ${out}`);
    const lines = [
      '',
      `one healthy Bitcoin node (bitcoind test double, regtest), ${MINUTES} min, probe every ${INTERVAL_S} s:`,
    ];
    for (const result of results) {
      lines.push(
        `  ${result.phase}: ${result.lingeringAtEnd.count} processes left at the end (${(result.lingeringAtEnd.rssKiB / 1024).toFixed(1)} MiB RSS, ${(result.lingeringAtEnd.pssKiB / 1024).toFixed(1)} MiB PSS), at most ${result.mostSeenAtOnce} at once; daemon RSS ${result.daemonRssMiB.firstMinuteMedian} → ${result.daemonRssMiB.lastMinuteMedian} MiB, Podman service RSS ${result.serviceRssMiB.firstMinuteMedian} → ${result.serviceRssMiB.lastMinuteMedian} MiB`,
      );
    }
    const old = results.find((result) => result.phase.startsWith('old'));
    if (old && old.lingeringAtEnd.count > 0) {
      const sessions = Math.min(old.probes, Math.ceil(EXIT_DELAY_S / INTERVAL_S));
      const perSession = {
        processes: old.lingeringAtEnd.count / sessions,
        rssMiB: old.lingeringAtEnd.rssKiB / 1024 / sessions,
      };
      const bundled = Math.ceil(EXIT_DELAY_S / BUNDLED_INTERVAL_S);
      lines.push(
        `  old probe, projected at the bundled ${BUNDLED_INTERVAL_S} s interval: ${bundled} sessions alive → ${Math.round(bundled * perSession.processes)} processes, ${(bundled * perSession.rssMiB).toFixed(1)} MiB RSS (${perSession.processes.toFixed(1)} processes, ${perSession.rssMiB.toFixed(1)} MiB each), per Bitcoin node`,
      );
    }
    lines.push('  target: no lingering processes, < 2 MB');
    console.log(lines.join('\n'));
  } finally {
    for (const id of installed) await daemon.cli(['remove', id, '--purge', '--yes']).catch(() => '');
    await daemon.stop();
    await removeDataDir(daemon.dataDir).catch(() => undefined);
    await rm(logFile, { force: true });
  }
}

await main();
