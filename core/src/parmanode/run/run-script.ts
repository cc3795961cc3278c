// Runs a Parmanode-style script in a throwaway rootless container (runner-args.ts says what it
// may touch) and removes that container afterwards whatever happens: exit, error, timeout, or the
// caller's abort (Ctrl-C). The podman client runs in a process group of its own, so a Ctrl-C at
// the terminal reaches us, not podman; we then remove the container by name (which ends the
// script) before returning.
//
// The podman CLI, not the REST API the daemon uses: this is a one-shot run attached to the user's
// terminal (stdin for answers, output streamed as it comes), which `podman run -i` does in one
// call; and it runs as the invoking user, whose files the script and data dir are.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { runPodman } from '../../podman/cli.js';
import { answersInput, runnerPodmanArgs } from './runner-args.js';

export interface ScriptRunOptions {
  script: string;
  scriptArgs?: readonly string[];
  dataDir?: string;
  network?: boolean;
  answers?: readonly string[];
  image: string;
  timeoutMs: number;
  labels?: Record<string, string>;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  signal?: AbortSignal;
  podmanBinary?: string;
}

export interface ScriptRunResult {
  /** The script's exit status (podman's own 125-127 when it could not start it). */
  exitCode: number;
  /** How it ended: on its own, killed by the timeout, or stopped by the caller. */
  ended: 'exited' | 'timeout' | 'aborted';
  containerName: string;
}

export class ScriptRunError extends Error {}

/** Checks the inputs and returns their real paths (a symlink cannot smuggle in another file). */
async function resolveInputs(
  options: ScriptRunOptions,
): Promise<{ script: string; dataDir: string | undefined }> {
  if (process.getuid?.() === 0)
    throw new ScriptRunError(
      'refusing to run a script as root: the runner uses rootless Podman; run archy parmanode run as your own user',
    );
  const script = await realpath(options.script).catch(() => undefined);
  if (!script || !(await stat(script)).isFile())
    throw new ScriptRunError(`${options.script} is not a file; give the path of the script to run`);
  if (options.dataDir === undefined) return { script, dataDir: undefined };
  const dataDir = await realpath(options.dataDir).catch(() => undefined);
  if (!dataDir || !(await stat(dataDir)).isDirectory())
    throw new ScriptRunError(
      `${options.dataDir} is not a folder; create the data folder first (mkdir -p ${options.dataDir})`,
    );
  if (dataDir === '/')
    throw new ScriptRunError('the data folder may not be / ; give the folder the script may write to');
  return { script, dataDir };
}

export async function runParmanodeScript(options: ScriptRunOptions): Promise<ScriptRunResult> {
  const { script, dataDir } = await resolveInputs(options);
  const containerName = `archy-parmanode-run-${randomBytes(6).toString('hex')}`;
  const podman = options.podmanBinary ?? 'podman';
  const args = runnerPodmanArgs({
    containerName,
    script,
    scriptArgs: options.scriptArgs ?? [],
    dataDir,
    network: options.network ?? false,
    image: options.image,
    ...(options.labels ? { labels: options.labels } : {}),
  });
  const removeContainer = () =>
    runPodman(['rm', '--force', '--ignore', '--time', '0', containerName], {
      doing: 'removing the script container',
      podmanBinary: podman,
      timeoutMs: 60_000,
    }).then(
      () => undefined,
      () => undefined, // Reported by the check below, which lists what is left.
    );

  let ended: ScriptRunResult['ended'] = 'exited';
  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      const child = spawn(podman, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const stop = (why: ScriptRunResult['ended']) => {
        if (ended !== 'exited') return;
        ended = why;
        // Removing the container ends the script; the client then exits on its own. Its group is
        // killed as well in case it hangs on a container that is already gone.
        void removeContainer().finally(() => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            // Already exited.
          }
        });
      };
      const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
      const onAbort = () => stop('aborted');
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => options.onStdout?.(chunk));
      child.stderr.on('data', (chunk: Buffer) => options.onStderr?.(chunk));
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          error.code === 'ENOENT'
            ? new ScriptRunError('podman is not installed (apt-get install podman)')
            : error,
        );
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(code ?? (signal ? 128 + 9 : 1));
      });
      child.stdin.on('error', () => undefined); // The script exited without reading every answer.
      child.stdin.end(answersInput(options.answers ?? []));
    });
    return { exitCode, ended, containerName };
  } finally {
    await removeContainer();
  }
}
