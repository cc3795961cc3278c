// Shared by the benchmarks: timing, statistics, processes and a daemon to measure.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(REPO, 'core/dist/bundle/archy.mjs');
/** The node flags scripts/start.sh launches the daemon with (core/daemon-node-flags). */
const DAEMON_NODE_FLAGS = readFileSync(join(REPO, 'core/daemon-node-flags'), 'utf8').trim().split(/\s+/);
/** The pipeline bench pushes here; scripts/bench.sh runs a registry for it. */
export const REGISTRY = '127.0.0.1:5000';
/** Built locally from Debian's busybox-static (ensureImage); never a production name. */
export const HELLO_IMAGE = 'localhost/archy-bench/hello:1.0.0';
/** Everything a benchmark creates carries this label, so cleanup finds only ours. */
export const BENCH_LABEL = 'io.archipelago.bench=1';

const run = promisify(execFile);

export async function sh(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(command, args, { env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export const median = (values: number[]): number => percentile(values, 50);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls until the URL answers 200; returns when it did. Bounded. */
export async function waitHttp200(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** Total CPU time (user+system) of a process so far, in milliseconds. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

export interface BenchDaemon {
  dataDir: string;
  url: string;
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  cli(args: string[]): Promise<string>;
  rpc<T>(method: string, params?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startBenchDaemon(
  /** `dataDir`: start again on one an earlier bench daemon used (default: a new temp dir). */
  options: { logFile?: string; env?: Record<string, string>; dataDir?: string } = {},
): Promise<BenchDaemon> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'archy-bench-')));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    ARCHY_INSECURE_REGISTRIES: REGISTRY,
    // The benches' images are built outside the daemon, into local storage (localhost/...) or the
    // bench's registry: unsigned (the development escape, logged by the daemon), so both
    // contenders run the very same local image.
    ARCHY_UNSIGNED_REGISTRIES: `${REGISTRY},localhost`,
    ...options.env,
    ARCHY_DATA_DIR: dataDir,
    ARCHY_URL: url,
  };
  // Launched as start.sh launches it.
  const child = spawn(
    process.execPath,
    [
      ...DAEMON_NODE_FLAGS,
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the daemon, written there when it stops.
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      CLI,
      'daemon',
      '--data-dir',
      dataDir,
      '--listen',
      `127.0.0.1:${port}`,
    ],
    {
      env,
      stdio: ['ignore', options.logFile ? openSync(options.logFile, 'w') : 'ignore', 'inherit'],
    },
  );
  const deadline = Date.now() + 30_000;
  let token = '';
  for (;;) {
    try {
      token = readFileSync(join(dataDir, '.cookie'), 'utf8').trim();
      const response = await fetch(`${url}/rpc/v1`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'container-list', params: {} }),
      });
      if (response.ok) break;
    } catch {
      // starting
    }
    if (Date.now() > deadline) throw new Error('the daemon did not come up within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let nextId = 1;
  return {
    dataDir,
    url,
    env,
    process: child,
    cli: (args) => sh(process.execPath, [CLI, ...args], env),
    rpc: async <T>(method: string, params: unknown = {}): Promise<T> => {
      nextId += 1;
      const response = await fetch(`${url}/rpc/v1`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: nextId, method, params }),
      });
      const body = (await response.json()) as { result?: T; error?: { message: string } };
      if (body.error) throw new Error(`${method}: ${body.error.message}`);
      return body.result as T;
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A hello manifest with its own id and host port, as YAML text. */
export function helloManifest(id: string, hostPort: number): string {
  return [
    `id: ${id}`,
    `name: ${id}`,
    'version: "1.0.0"',
    `image: ${HELLO_IMAGE}`,
    'command: ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /www"]',
    'ports:',
    `  - { container: 8080, host: ${hostPort} }`,
    'volumes:',
    '  - mount: /data',
    'stopTimeout: 2s',
    'health:',
    '  http: { port: 8080, path: / }',
    '',
  ].join('\n');
}

/**
 * The hello image in local storage, built here when missing: Debian's busybox-static and one page,
 * imported with podman (no registry).
 */
export async function ensureImage(): Promise<void> {
  try {
    await sh('podman', ['image', 'exists', HELLO_IMAGE]);
    return;
  } catch {
    // build it
  }
  const work = await mkdtemp(join(tmpdir(), 'archy-bench-hello-'));
  try {
    await mkdir(join(work, 'bin'), { recursive: true });
    await mkdir(join(work, 'www'), { recursive: true });
    await copyFile('/bin/busybox', join(work, 'bin/busybox'));
    for (const applet of ['sh', 'httpd', 'cat', 'sleep']) await symlink('busybox', join(work, 'bin', applet));
    await writeFile(join(work, 'www/index.html'), '<!doctype html><title>bench</title>hello\n');
    await sh('tar', ['-C', work, '-cf', join(work, 'rootfs.tar'), 'bin', 'www']);
    await sh('podman', ['import', '-q', join(work, 'rootfs.tar'), HELLO_IMAGE]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Removes a bench daemon's data dir, whose app volumes hold files of the containers' sub-uids that
 * the bench user cannot delete itself: then as root of its user namespace (podman unshare).
 */
export async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => sh('podman', ['unshare', 'rm', '-rf', dir]));
}
