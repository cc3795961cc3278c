import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { REGISTRY_HOST, sharedRegistryDir } from './constants.js';

/**
 * One docker-registry on 127.0.0.1:5000 for every test run on this machine. Runs started at the
 * same time (several engineers, or CI and a developer) share it: each holds a lease (a file
 * named after its run id holding its pid) and the last one out stops the registry. A mkdir lock
 * keeps start/stop decisions atomic.
 */
const [HOST, PORT] = [REGISTRY_HOST.split(':')[0]!, Number(REGISTRY_HOST.split(':')[1])];

export async function acquireRegistry(runId: string): Promise<void> {
  const dir = sharedRegistryDir();
  mkdirSync(join(dir, 'leases'), { recursive: true, mode: 0o700 });
  await withLock(dir, async () => {
    pruneDeadLeases(dir);
    const pid = readPid(dir);
    if (pid && isAlive(pid) && (await registryAnswers())) {
      writeFileSync(join(dir, 'leases', runId), String(process.pid));
      return;
    }
    if (await portOpen()) {
      // A registry we did not start (npm start's local one, say) serves the tests just as well;
      // having no pid file for it, the last run out leaves it running.
      if (await registryAnswers()) {
        writeFileSync(join(dir, 'leases', runId), String(process.pid));
        return;
      }
      throw new Error(
        `${REGISTRY_HOST} is already taken by a process that is not the test registry; the example manifest ` +
          `needs this exact address. Find it with: ss -ltnp 'sport = :${PORT}' — Debian's docker-registry ` +
          'system service is a common culprit (stop it: systemctl stop docker-registry, or kill that pid).',
      );
    }
    const started = startRegistry(dir);
    writeFileSync(join(dir, 'registry.pid'), String(started));
    writeFileSync(join(dir, 'leases', runId), String(process.pid));
    const deadline = Date.now() + 15_000;
    while (!(await registryAnswers())) {
      if (!isAlive(started) || Date.now() > deadline) {
        const log = readFileSafe(join(dir, 'registry.log')).slice(-2000);
        throw new Error(`docker-registry did not come up on ${REGISTRY_HOST}; its log:\n${log}`);
      }
      await delay(100);
    }
  });
}

export async function releaseRegistry(runId: string): Promise<void> {
  const dir = sharedRegistryDir();
  await withLock(dir, async () => {
    rmSync(join(dir, 'leases', runId), { force: true });
    pruneDeadLeases(dir);
    if (readdirSync(join(dir, 'leases')).length > 0) return;
    const pid = readPid(dir);
    if (pid && isAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 50 && isAlive(pid); i++) await delay(100);
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    for (const entry of readdirSync(dir))
      if (entry !== 'lock') rmSync(join(dir, entry), { recursive: true, force: true });
  });
}

function startRegistry(dir: string): number {
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: warn }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(dir, 'data'))} }, delete: { enabled: true } }`,
      `http: { addr: ${JSON.stringify(REGISTRY_HOST)}, secret: archipelago-tests }`,
      '',
    ].join('\n'),
  );
  const log = openSync(join(dir, 'registry.log'), 'a');
  // Detached: it must outlive this run while another run still holds a lease.
  const child = spawn('/usr/bin/docker-registry', ['serve', config], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  if (!child.pid)
    throw new Error('could not start /usr/bin/docker-registry; install it with scripts/host-setup.sh --test');
  return child.pid;
}

async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'owner'), String(process.pid));
      break;
    } catch {
      const owner = Number(readFileSafe(join(lock, 'owner')));
      if (owner && !isAlive(owner)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline)
        throw new Error(`test registry lock ${lock} held too long by pid ${owner}`);
      await delay(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function pruneDeadLeases(dir: string): void {
  for (const lease of readdirSync(join(dir, 'leases'))) {
    const pid = Number(readFileSafe(join(dir, 'leases', lease)));
    if (!pid || !isAlive(pid)) rmSync(join(dir, 'leases', lease), { force: true });
  }
}

const readPid = (dir: string): number | undefined =>
  Number(readFileSafe(join(dir, 'registry.pid'))) || undefined;

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function registryAnswers(): Promise<boolean> {
  try {
    const res = await fetch(`http://${REGISTRY_HOST}/v2/`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200 && res.headers.get('docker-distribution-api-version') === 'registry/2.0';
  } catch {
    return false;
  }
}

const portOpen = (): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port: PORT });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
