import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { registriesConfWithInsecure } from './registries-conf.js';
import { ping } from './system.js';
import { PodmanTransport } from './transport.js';

export interface PodmanServiceOptions {
  socketPath: string;
  /** Where the service's stdout/stderr go; default: discarded. */
  logFile?: string;
  /** host:port registries to pull from over plain HTTP (ARCHY_INSECURE_REGISTRIES). */
  insecureRegistries?: readonly string[];
  /** How long to wait for the socket to answer. */
  startTimeoutMs?: number;
  podmanPath?: string;
}

export interface PodmanService {
  socketPath: string;
  pid: number;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
  stop(): Promise<void>;
}

/**
 * Starts `podman system service --time=0` on a unix socket as a child process and waits until
 * it answers. A pid file beside the socket lets the next start end a service orphaned by a
 * crashed daemon instead of leaving it running forever.
 */
export async function startPodmanService(options: PodmanServiceOptions): Promise<PodmanService> {
  const { socketPath } = options;
  const pidFile = `${socketPath}.pid`;
  await stopOrphan(pidFile, socketPath);
  rmSync(socketPath, { force: true });

  const env = { ...process.env };
  if (options.insecureRegistries?.length) {
    const confPath = `${socketPath}.registries.conf`;
    writeFileSync(confPath, registriesConfWithInsecure(options.insecureRegistries), { mode: 0o600 });
    env.CONTAINERS_REGISTRIES_CONF = confPath;
  }
  const log = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(
    options.podmanPath ?? 'podman',
    ['system', 'service', '--time=0', `unix://${socketPath}`],
    { env, stdio: ['ignore', log, log] },
  );
  if (typeof log === 'number') closeSync(log);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      exited = { code: null, signal: null };
      spawnError = err;
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(killer);
    }
    rmSync(pidFile, { force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  const transport = new PodmanTransport(socketPath);
  try {
    for (;;) {
      if (exited) {
        const why = spawnError ? spawnError.message : `exit code ${exited.code ?? exited.signal}`;
        throw new Error(
          `podman system service on ${socketPath} stopped at once (${why})` +
            (options.logFile ? `; see ${options.logFile}` : '; pass logFile to see why'),
        );
      }
      try {
        await ping(transport);
        break;
      } catch {
        if (Date.now() > deadline) {
          await stop();
          throw new Error(
            `podman system service on ${socketPath} did not answer within ${options.startTimeoutMs ?? 20_000} ms; ` +
              'check that rootless Podman works for this user (podman info)',
          );
        }
        await delay(100);
      }
    }
  } finally {
    await transport.close();
  }
  writeFileSync(pidFile, String(child.pid));
  return { socketPath, pid: child.pid!, stop };
}

/** Ends a service a previous (crashed) owner left on this socket, if the pid is still that service. */
async function stopOrphan(pidFile: string, socketPath: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return; // already gone
  }
  if (!cmdline.includes('system service') || !cmdline.includes(socketPath)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await delay(100);
  }
  process.kill(pid, 'SIGKILL');
}
