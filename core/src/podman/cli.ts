// The one way the code runs the podman CLI. The daemon speaks Podman's REST API (client.ts); the
// CLI is for what the API does not do or does worse: `podman unshare` (the rootless user and
// network namespaces), and the pipeline's `import` / `push --digestfile`, which already know
// registries.conf and credentials and which an operator can rerun by hand.
//
// One error type, PodmanCliError, says what we were doing, which command failed and podman's own
// reason (its last stderr line). The command runs as the leader of a process group of its own,
// and a timeout or an abort SIGKILLs the whole group: `podman unshare` starts its command as a
// child, which must not outlive the call either.

import { spawn } from 'node:child_process';

export interface PodmanCliOptions {
  /** What we were doing, for the error message: "importing the node's bitcoin image". */
  doing: string;
  /** What the user can do about a failure, appended to the message. */
  hint?: string;
  /** Written to podman's stdin (then closed); default: no stdin. */
  input?: string | Uint8Array;
  /** Default 10 minutes: an image import or push of a large image is slow on a Pi. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Output beyond this ends the command (default 64 MiB). */
  maxOutputBytes?: number;
  /** Default `podman` from PATH. */
  podmanBinary?: string;
}

export interface PodmanCliResult {
  stdout: string;
  stderr: string;
}

export type PodmanCliFailure = 'not-installed' | 'exit' | 'timeout' | 'aborted' | 'too-much-output';

/** A podman command that did not succeed; `stderr` is podman's reason, kept apart for messages. */
export class PodmanCliError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly failure: PodmanCliFailure,
    /** Podman's own reason: its last stderr line without "Error: ", or what happened instead. */
    readonly stderr: string,
    /** The exit code when podman exited on its own (failure 'exit'). */
    readonly exitCode: number | undefined,
    options: { doing: string; hint?: string | undefined; cause?: unknown },
  ) {
    super(
      `${options.doing} failed: podman ${args.join(' ')}: ${stderr}${options.hint ? `; ${options.hint}` : ''}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'PodmanCliError';
  }
}

const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

/** Podman's reason: the last non-empty stderr line, "Error: " dropped. */
function reasonOf(stderr: string, fallback: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  return (lines.at(-1) ?? fallback).replace(/^Error: /, '');
}

/** Runs `podman <args>`; resolves with its output when it exits 0, else throws PodmanCliError. */
export function runPodman(args: readonly string[], options: PodmanCliOptions): Promise<PodmanCliResult> {
  const fail = (failure: PodmanCliFailure, reason: string, exitCode?: number, cause?: unknown) =>
    new PodmanCliError(args, failure, reason, exitCode, { doing: options.doing, hint: options.hint, cause });
  if (options.signal?.aborted) return Promise.reject(fail('aborted', 'cancelled before it started'));

  return new Promise((resolve, reject) => {
    const child = spawn(options.podmanBinary ?? 'podman', args, {
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    // stdio is piped for stdout and stderr: these streams exist.
    const stdoutStream = child.stdout!;
    const stderrStream = child.stderr!;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let ended: { failure: PodmanCliFailure; reason: string } | undefined;
    const killGroup = (failure: PodmanCliFailure, reason: string) => {
      ended ??= { failure, reason };
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) killGroup('too-much-output', `wrote more than ${limit} bytes of output`);
      else into.push(chunk);
    };
    stdoutStream.on('data', collect(out));
    stderrStream.on('data', collect(err));
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => killGroup('timeout', `did not finish within ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => killGroup('aborted', 'cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanUp = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    child.on('error', (error: NodeJS.ErrnoException) => {
      cleanUp();
      reject(
        error.code === 'ENOENT'
          ? fail('not-installed', 'podman is not installed (apt-get install podman)', undefined, error)
          : fail('exit', error.message, undefined, error),
      );
    });
    child.on('close', (code, signal) => {
      cleanUp();
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (ended) reject(fail(ended.failure, ended.reason));
      else if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          fail(
            'exit',
            reasonOf(stderr, code === null ? `killed by ${signal}` : `exit code ${code}`),
            code ?? undefined,
          ),
        );
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // podman died early: its exit says why
      child.stdin.end(options.input);
    }
  });
}
