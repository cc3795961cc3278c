// A restic REST target on 127.0.0.1 for the backup tests: `rclone serve restic` on a folder of the
// test's own. With `capBytes`, the folder is a tmpfs of that size which rclone mounts itself in a
// user and mount namespace of its own (`unshare -Urm`, no root needed): a full disk, for real.
// Started and ended by the test (by PID), registered with the test-process tracker either way.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDataDir, waitFor } from './index.js';
import { trackProcess } from './test-processes.js';

export interface RestServer {
  /** The restic repository URL for a repository named `name` (`rest:http://127.0.0.1:<port>/<name>`). */
  repository(name: string): string;
  /** Where the repositories are on disk (not reachable from outside when capped: it is a private tmpfs). */
  dir: string;
  port: number;
  stop(): Promise<void>;
  log(): string;
}

export async function startRestServer(
  options: { capBytes?: number; port?: number } = {},
): Promise<RestServer> {
  const dir = join(tempDataDir('rest-target'), 'repos');
  mkdirSync(dir, { mode: 0o700 });
  const port = options.port ?? (await freePort());
  const rclone = ['rclone', 'serve', 'restic', '--addr', `127.0.0.1:${port}`, dir];
  // `exec`: the PID we hold is rclone's own, in its namespaces.
  const child: ChildProcess =
    options.capBytes === undefined
      ? spawn(rclone[0]!, rclone.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(
          'unshare',
          [
            '-Urm',
            'sh',
            '-c',
            `mount -t tmpfs -o size=${options.capBytes} tmpfs "$1" && shift && exec "$@"`,
            'sh',
            dir,
            ...rclone,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
  trackProcess(child, `rclone serve restic on 127.0.0.1:${port}`);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`rclone exited with ${child.exitCode}: ${output}`);
      return output.includes('Serving restic REST API');
    },
    { what: `rclone serve restic on 127.0.0.1:${port}`, timeoutMs: 15_000 },
  );
  return {
    repository: (name) => `rest:http://127.0.0.1:${port}/${name}`,
    dir,
    port,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
