// Issue 3's benchmark: time from a container's death to the daemon's restart of it (median of
// 20, each on its own app so no backoff builds up), against Podman's own restart policy in the
// same run (a bare container, and one with its own network and a published port as the daemon's
// apps have); then the daemon's CPU and RSS with 30 supervised apps idle for 60 s.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BENCH_LABEL,
  HELLO_IMAGE,
  cpuMs,
  freePort,
  helloManifest,
  median,
  now,
  removeDataDir,
  rssKiB,
  sh,
  ensureImage,
  startBenchDaemon,
} from './support.js';

const KILLS = 20;
const FLEET = 30;
const IDLE_MS = 60_000;

/** Waits until `podman inspect` shows a StartedAt later than `after` (ms); returns that time. */
async function waitRestarted(container: string, after: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    // Nanoseconds since the epoch: Date.parse can't read Podman's 9-digit fractions.
    const nanos = (
      await sh('podman', ['inspect', '--format', '{{.State.StartedAt.UnixNano}}', container])
    ).trim();
    const started = Number(BigInt(nanos) / 1_000_000n);
    if (started > after) return started;
    if (Date.now() > deadline) throw new Error(`${container} was not restarted within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function killAndTime(container: string): Promise<number> {
  // Killed from outside Podman, as a crash would be: `podman kill` counts as the user's own
  // stop, which Podman's restart policy then (rightly) leaves alone.
  const pid = Number((await sh('podman', ['inspect', '--format', '{{.State.Pid}}', container])).trim());
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  const restartedAt = await waitRestarted(container, killedAt);
  return restartedAt - killedAt;
}

/** Podman's restart policy alone: `KILLS` deaths of one container run with `extra` options. */
async function rawBaseline(extra: string[]): Promise<number[]> {
  const raw = `archy-bench-restart-${process.pid}`;
  await sh('podman', [
    'run',
    '-d',
    '--name',
    raw,
    '--label',
    BENCH_LABEL,
    '--init',
    '--restart',
    'always',
    ...extra,
    HELLO_IMAGE,
    'httpd',
    '-f',
    '-p',
    '8080',
    '-h',
    '/www',
  ]);
  const times: number[] = [];
  try {
    for (let i = 0; i < KILLS; i += 1) times.push(await killAndTime(raw));
  } finally {
    await sh('podman', ['rm', '-f', '-t', '0', raw]);
  }
  return times;
}

async function main(): Promise<void> {
  await ensureImage();
  // Baselines: Podman's own restart policy on the same image — a bare container, and one set up
  // as the daemon sets its apps up (its own isolated bridge network, a published port), whose
  // restart also re-creates the network namespace and the port forwarder.
  const rawTimes = await rawBaseline([]);
  const network = `archy-bench-restart-net-${process.pid}`;
  await sh('podman', ['network', 'create', '--label', BENCH_LABEL, '--opt', 'isolate=true', network]);
  let rawLikeTimes: number[];
  try {
    rawLikeTimes = await rawBaseline(['--network', network, '-p', `127.0.0.1:${await freePort()}:8080`]);
  } finally {
    await sh('podman', ['network', 'rm', '-f', network]);
  }

  const logFile = join(tmpdir(), `archy-bench-supervision-${process.pid}.log`);
  let daemon = await startBenchDaemon({ logFile });
  try {
    for (let i = 0; i < FLEET; i += 1) {
      const file = join(daemon.dataDir, `sup-${i}.yml`);
      writeFileSync(file, helloManifest(`sup-${i}`, await freePort()));
      await daemon.cli(['install', file, '--json']);
    }
    const archyTimes: number[] = [];
    const issuedTimes: number[] = [];
    for (let i = 0; i < KILLS; i += 1) {
      const killedAt = Date.now();
      archyTimes.push(await killAndTime(`archy-sup-${i}`));
      issuedTimes.push((await restartIssuedAt(logFile, `sup-${i}`)) - killedAt);
    }

    // Let the restarted apps settle, then measure a quiet minute.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const pid = daemon.process.pid!;
    const cpuBefore = cpuMs(pid);
    const started = now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const cpuPercent = ((cpuMs(pid) - cpuBefore) / (now() - started)) * 100;
    const rss = rssKiB(pid) / 1024;

    // Podman's restart policy alone on the very containers the daemon made: the daemon stops (its
    // apps run on), each container's restart count is reset by a `podman restart`, then it is
    // killed. What is left between this and the daemon's figure is the daemon's doing.
    await daemon.stop();
    const identicalTimes: number[] = [];
    for (let i = 0; i < KILLS; i += 1) {
      await sh('podman', ['restart', '-t', '2', `archy-sup-${i}`]);
      identicalTimes.push(await killAndTime(`archy-sup-${i}`));
    }
    daemon = await startBenchDaemon({ logFile, dataDir: daemon.dataDir });

    console.log(
      JSON.stringify(
        {
          deathToRestartIssuedMs: { archyMedian: median(issuedTimes), kills: KILLS },
          deathToRunningAgainMs: {
            archyMedian: median(archyTimes),
            podmanRestartPolicyMedian: median(rawTimes),
            podmanRestartPolicyLikeArchyMedian: median(rawLikeTimes),
            podmanRestartPolicySameContainersMedian: median(identicalTimes),
          },
          idle30Apps: { cpuPercent, rssMiB: rss, seconds: IDLE_MS / 1000 },
        },
        null,
        2,
      ),
    );
    console.log(
      [
        '',
        `death → restart logged by the daemon (its own, or Podman's seen): ${median(issuedTimes).toFixed(0)} ms (median of ${KILLS}; target < 1 s)`,
        `death → running again: archy ${median(archyTimes).toFixed(0)} ms vs Podman's restart policy ${median(rawTimes).toFixed(0)} ms (bare container), ${median(rawLikeTimes).toFixed(0)} ms (own network and published port, as archy's), ${median(identicalTimes).toFixed(0)} ms (the daemon's own containers, daemon stopped) → ratio ${(median(archyTimes) / median(identicalTimes)).toFixed(2)} (target ≤ 1.2)`,
        `idle with ${FLEET} supervised apps for ${IDLE_MS / 1000} s: daemon CPU ${cpuPercent.toFixed(2)}% (target < 1%), RSS ${rss.toFixed(1)} MiB (target < 80 MB)`,
      ].join('\n'),
    );
  } finally {
    for (let i = 0; i < FLEET; i += 1)
      await daemon.cli(['remove', `sup-${i}`, '--purge', '--yes']).catch(() => '');
    await daemon.stop();
    await removeDataDir(daemon.dataDir).catch(() => undefined);
    await rm(logFile, { force: true });
  }
}

/**
 * When the daemon logged that it restarts `app` (the time of its last such JSON log line). Podman's
 * own restart can have the container running before the daemon has read the `restart` event that
 * it logs this for, so the line is waited for (bounded).
 */
async function restartIssuedAt(logFile: string, app: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('restarting a failed app'));
    for (const line of lines.reverse()) {
      const entry = JSON.parse(line) as { app?: string; time: number };
      if (entry.app === app) return entry.time;
    }
    if (Date.now() > deadline) throw new Error(`the daemon never logged restarting ${app}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

await main();
