import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, registry, testCatalogDir, waitFor } from './index.js';
import { trackDataDir, trackProcess } from './test-processes.js';

/**
 * The built, bundled CLI + daemon, as `npm start` and the `archy` bin run it
 * (core/rolldown.config.mjs); `npm test` builds before running the suite.
 */
export const CLI_PATH = fileURLToPath(new URL('../../dist/bundle/archy.mjs', import.meta.url));
/** The daemon starts with the launch flags npm start uses, plus source-mapped stack traces. */
const DAEMON_NODE_FLAGS = [
  ...readFileSync(new URL('../../daemon-node-flags', import.meta.url), 'utf8')
    .trim()
    .split(/\s+/),
  '--enable-source-maps',
];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestDaemon {
  dataDir: string;
  url: string;
  process: ChildProcess;
  /** Runs `archy <args>` against this daemon. */
  cli(args: string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  /** Starts `archy <args>` and returns the running process (for commands that don't end, like logs --follow). */
  spawnCli(args: string[]): ChildProcess;
  /** `archy <args> --json`, parsed; throws with stderr when the command fails. */
  cliJson<T>(args: string[]): Promise<T>;
  /** Graceful stop (SIGTERM), waiting for exit. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** The daemon's log so far (for failure messages). */
  log(): string;
}

/**
 * Starts a real `archy daemon` as a child process on a free loopback port, with the test
 * registry trusted as plain HTTP and the tests' own signed catalog (ARCHY_CATALOG_DIR; a test's
 * env overrides it). Resolves once the API answers. The daemon is registered to be ended when the
 * test file ends, and the Podman service it may leave when killed with it (test-processes.ts).
 */
export async function startDaemon(options: {
  dataDir: string;
  env?: Record<string, string>;
  /**
   * How long to wait for the API (default 30 s). The daemon answers once its boot reconcile is
   * done, and that includes recovering an interrupted version change (waiting for a new version
   * to turn healthy, or restoring the old one): a restart after a crash may need longer.
   */
  readyTimeoutMs?: number;
}): Promise<TestDaemon> {
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const url = `http://${listen}`;
  const { ARCHY_ALLOW_UNSIGNED: _notInherited, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    ARCHY_INSECURE_REGISTRIES: registry(),
    // The test images are unsigned: the test registry, and only it, is the development escape.
    // The signed-image tests turn it off (ARCHY_UNSIGNED_REGISTRIES: '').
    ARCHY_UNSIGNED_REGISTRIES: registry(),
    ARCHY_LOG_LEVEL: 'debug',
    // Never the production catalog (repo catalog/): the tests' versions in the test repository.
    ARCHY_CATALOG_DIR: testCatalogDir(),
    ...options.env,
  };
  // A test written for the old global switch asks for verification with ARCHY_ALLOW_UNSIGNED=0.
  if (options.env?.ARCHY_ALLOW_UNSIGNED === '0') env.ARCHY_UNSIGNED_REGISTRIES = '';
  const child = spawn(
    process.execPath,
    [...DAEMON_NODE_FLAGS, CLI_PATH, 'daemon', '--data-dir', options.dataDir, '--listen', listen],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  trackProcess(child, `archy daemon --data-dir ${options.dataDir}`);
  trackDataDir(options.dataDir);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const cliEnv = { ...env, ARCHY_DATA_DIR: options.dataDir, ARCHY_URL: url };
  const cli = (args: string[], cliOptions: { timeoutMs?: number } = {}): Promise<CliResult> =>
    runCli(args, cliEnv, cliOptions.timeoutMs ?? 60_000);

  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}:\n${output}`);
        const info = await readFile(join(options.dataDir, 'run', 'daemon.json'), 'utf8').catch(() => '');
        return info.includes(url) && (await cli(['list', '--json'])).code === 0;
      },
      {
        what: `the daemon to answer on ${url}`,
        timeoutMs: options.readyTimeoutMs ?? 30_000,
        intervalMs: 100,
      },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\ndaemon log:\n${output}`);
  }

  return {
    dataDir: options.dataDir,
    url,
    process: child,
    cli,
    spawnCli: (args) => {
      const cliChild = spawn(process.execPath, [CLI_PATH, ...args], {
        env: cliEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      trackProcess(cliChild, `archy ${args.join(' ')}`);
      return cliChild;
    },
    cliJson: async <T>(args: string[]): Promise<T> => {
      const result = await cli([...args, '--json']);
      if (result.code !== 0)
        throw new Error(`archy ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    log: () => output,
  };
}

/** Runs the CLI with an environment of its own (no daemon needed, e.g. `manifest lint`). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    trackProcess(child, `archy ${args.join(' ')}`);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`archy ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
