import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { PodmanClient, startPodmanService } from '../podman/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export interface PodmanConnection {
  client: PodmanClient;
  socketPath: string;
  /** Stops the Podman service if this daemon started it; containers keep running either way. */
  close(): Promise<void>;
}

/**
 * Connects to the socket the user gave, or starts `podman system service` and owns it. A
 * service left by a daemon that was killed is reused rather than duplicated: its pid is kept in
 * `run/podman-service.pid`.
 */
export async function connectPodman(options: {
  socketPath?: string;
  runDir: string;
  /** Plain-HTTP registries; a service we start is told, so pulls from them report bytes. */
  insecureRegistries: ReadonlySet<string>;
  logger: Logger;
}): Promise<PodmanConnection> {
  if (options.socketPath) {
    const client = new PodmanClient({ socketPath: options.socketPath });
    await pingOrExplain(
      client,
      options.socketPath,
      'the socket given with --podman-socket / ARCHY_PODMAN_SOCKET',
    );
    return { client, socketPath: options.socketPath, close: () => client.close() };
  }

  const socketPath = join(options.runDir, 'podman.sock');
  const pidFile = join(options.runDir, 'podman-service.pid');
  const leftover = await readPid(pidFile);
  if (leftover !== undefined && (await isOurPodmanService(leftover, socketPath))) {
    const client = new PodmanClient({ socketPath });
    try {
      await client.ping();
      options.logger.info(
        { pid: leftover, socketPath },
        'reusing the Podman service a previous daemon started',
      );
      return {
        client,
        socketPath,
        close: async () => {
          await client.close();
          stopPid(leftover);
          await rm(pidFile, { force: true });
        },
      };
    } catch {
      await client.close();
      stopPid(leftover);
    }
  }
  await rm(socketPath, { force: true });
  const service = await startPodmanService({
    socketPath,
    logFile: join(options.runDir, 'podman-service.log'),
  });
  await writeFileAtomic(pidFile, `${service.pid}\n`);
  options.logger.info({ pid: service.pid, socketPath }, 'started a Podman service');
  const client = new PodmanClient({ socketPath });
  await pingOrExplain(client, socketPath, 'the Podman service the daemon started');
  return {
    client,
    socketPath,
    close: async () => {
      await client.close();
      await service.stop();
      await rm(pidFile, { force: true });
    },
  };
}

async function pingOrExplain(client: PodmanClient, socketPath: string, what: string): Promise<void> {
  try {
    await client.ping();
  } catch (error) {
    await client.close();
    throw new Error(
      `cannot reach Podman at ${socketPath} (${what}): ${(error as Error).message}; start it with 'podman system service --time=0 unix://${socketPath}' or omit the option to let the daemon start one`,
      { cause: error },
    );
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is still the `podman system service` we started on `socketPath`. Pids are
 * recycled: without this check a stale pid file could make us signal an unrelated process.
 */
async function isOurPodmanService(pid: number, socketPath: string): Promise<boolean> {
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return args.includes('service') && args.some((arg) => arg.endsWith(socketPath));
  } catch {
    return false;
  }
}

function stopPid(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
