// Issue 17's log-capture benchmark: the daemon's CPU (from /proc/<pid>/stat) while 10 apps each
// write ~100 lines/s for 60 s, with kept logs on (conmon spools, the daemon keeps them: README
// "Kept logs") and off (`--kept-logs off`: Podman's own k8s-file log only), in the same run.
// Podman's service and the apps' conmons are reported beside it: capture must not move the cost
// there either. `npm run bench -- log-capture`.
import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuMs, ensureImage, HELLO_IMAGE, now, removeDataDir, sh, startBenchDaemon } from './support.js';

const APPS = 10;
const MEASURE_MS = 60_000;
const SETTLE_MS = 5_000;

// Ten lines, then a tenth of a second's sleep: ~100 lines/s (a little less: the loop's own time).
const WRITER =
  'i=0; while true; do for k in 0 1 2 3 4 5 6 7 8 9; do i=$((i+1)); ' +
  'echo "line $i of the log-capture bench, padded to the length of a typical app log line"; done; sleep 0.1; done';

function writerManifest(id: string): string {
  return [
    `id: ${id}`,
    `name: ${id}`,
    'version: "1.0.0"',
    `image: ${HELLO_IMAGE}`,
    `command: ["/bin/sh", "-c", ${JSON.stringify(WRITER)}]`,
    'stopTimeout: 1s',
    '',
  ].join('\n');
}

interface Phase {
  capture: 'on' | 'off' | 'libpod-follow';
  daemonCpuPercent: number;
  podmanServiceCpuPercent: number;
  conmonCpuPercent: number;
  linesPerSecondPerApp: number;
  keptBytes?: number;
}

const pidOf = (file: string): number | undefined => {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
};

async function conmonPids(ids: string[]): Promise<number[]> {
  const pids: number[] = [];
  for (const id of ids) {
    pids.push(
      Number((await sh('podman', ['inspect', '--format', '{{.State.ConmonPid}}', `archy-${id}`])).trim()),
    );
  }
  return pids;
}

/** The app's last printed line number, from Podman's own log of its container. */
async function lastLineNumber(id: string): Promise<number> {
  const out = await sh('podman', ['logs', '--tail', '1', `archy-${id}`]);
  return Number(/line (\d+)/.exec(out)?.[1] ?? 0);
}

/**
 * The other way to capture, for comparison: follow each container's libpod log stream (what a
 * daemon doing it that way would do), here from the bench process, which only counts the bytes —
 * the least such a follower could do. Returns a stop function and the follower's CPU so far.
 */
function followLibpod(socketPath: string, ids: string[]): { stop(): void; cpuMs(): number } {
  const started = process.cpuUsage();
  const requests = ids.map((id) => {
    const req = request({
      socketPath,
      path: `/v4.0.0/libpod/containers/archy-${id}/logs?follow=true&stdout=true&stderr=true&timestamps=true&tail=0`,
    });
    let bytes = 0;
    req.on('response', (response) => response.on('data', (chunk: Buffer) => (bytes += chunk.length)));
    req.on('error', () => undefined);
    req.end();
    return { req, bytes: () => bytes };
  });
  return {
    stop: () => requests.forEach(({ req }) => req.destroy()),
    cpuMs: () => {
      const used = process.cpuUsage(started);
      return (used.user + used.system) / 1000;
    },
  };
}

async function phase(capture: 'on' | 'off' | 'libpod-follow'): Promise<Phase> {
  const daemon = await startBenchDaemon({ env: { ARCHY_KEPT_LOGS: capture === 'on' ? 'on' : 'off' } });
  const ids = Array.from({ length: APPS }, (_, i) => `logcap-${capture}-${i}`);
  try {
    for (const id of ids) {
      const file = join(daemon.dataDir, `${id}.yml`);
      writeFileSync(file, writerManifest(id));
      await daemon.cli(['install', file, '--json']);
    }
    const follower =
      capture === 'libpod-follow' ? followLibpod(join(daemon.dataDir, 'run', 'podman.sock'), ids) : undefined;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const followerBefore = follower?.cpuMs() ?? 0;
    const daemonPid = daemon.process.pid!;
    const servicePid = pidOf(join(daemon.dataDir, 'run', 'podman-service.pid'));
    const conmons = await conmonPids(ids);
    const sum = (pids: number[]): number => pids.reduce((total, pid) => total + cpuMs(pid), 0);
    const before = {
      daemon: cpuMs(daemonPid),
      service: servicePid ? cpuMs(servicePid) : 0,
      conmon: sum(conmons),
      lines: await Promise.all(ids.map(lastLineNumber)),
    };
    const started = now();
    await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
    const elapsed = now() - started;
    const after = {
      daemon: cpuMs(daemonPid),
      service: servicePid ? cpuMs(servicePid) : 0,
      conmon: sum(conmons),
      lines: await Promise.all(ids.map(lastLineNumber)),
    };
    const followerMs = (follower?.cpuMs() ?? 0) - followerBefore;
    follower?.stop();
    const lines = after.lines.reduce((total, n, i) => total + n - before.lines[i]!, 0);
    const percent = (ms: number): number => (ms / elapsed) * 100;
    let keptBytes: number | undefined;
    if (capture === 'on') {
      keptBytes = Number((await sh('du', ['-sb', join(daemon.dataDir, 'logs')])).split('\t')[0]);
    }
    return {
      capture,
      // The follower stands in for the daemon in the libpod-follow phase (the daemon keeps nothing there).
      daemonCpuPercent: percent(after.daemon - before.daemon + followerMs),
      podmanServiceCpuPercent: percent(after.service - before.service),
      conmonCpuPercent: percent(after.conmon - before.conmon),
      linesPerSecondPerApp: lines / APPS / (elapsed / 1000),
      ...(keptBytes !== undefined && { keptBytes }),
    };
  } finally {
    for (const id of ids) await daemon.cli(['remove', id, '--purge', '--yes']).catch(() => '');
    await daemon.stop();
    await removeDataDir(daemon.dataDir).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  await ensureImage();
  const off = await phase('off');
  const on = await phase('on');
  const follow = await phase('libpod-follow');
  console.log(
    JSON.stringify({ apps: APPS, seconds: MEASURE_MS / 1000, on, off, libpodFollow: follow }, null, 2),
  );
  const line = (p: Phase): string =>
    `capture ${p.capture}: daemon ${p.daemonCpuPercent.toFixed(2)}% CPU, podman service ${p.podmanServiceCpuPercent.toFixed(2)}%, ` +
    `conmons ${p.conmonCpuPercent.toFixed(2)}% (${p.linesPerSecondPerApp.toFixed(0)} lines/s per app)`;
  console.log(
    [
      '',
      `${APPS} apps writing for ${MEASURE_MS / 1000} s:`,
      line(on),
      line(off),
      `${line(follow)} [daemon = idle daemon + a follower that only counts bytes]`,
    ].join('\n'),
  );
  console.log(
    `kept-log capture costs the daemon ${(on.daemonCpuPercent - off.daemonCpuPercent).toFixed(2)} percentage points of one core`,
  );
}

await main();
