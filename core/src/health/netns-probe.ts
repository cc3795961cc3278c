// Probing a port the app does not publish. A rootless container's network lives in a namespace
// the daemon cannot reach from the host, and `podman exec` costs a runc start per probe and
// needs tools in the image. Instead the daemon enters just the container's user and network
// namespaces with nsenter (as their owner it may: rootless Podman made them for this user) and
// runs the host's static busybox there, talking to 127.0.0.1 inside the app's own namespace.
// One short process per probe, a few milliseconds of CPU, nothing added to the image.

import { spawn } from 'node:child_process';

/** Debian's busybox-static (installed by scripts/host-setup.sh): static, so it runs in any namespace. */
export const HOST_BUSYBOX = '/bin/busybox';

export interface CommandOutcome {
  /** -1 when it was killed for taking longer than the timeout. */
  exitCode: number;
  output: string;
  timedOut: boolean;
}

/** What to give a command on its stdin, and how much of its output to keep. */
export interface BoundedInput {
  /**
   * Written to stdin, which then stays open until the command ends (nc then ends when the server
   * closes the connection, not when its input does). Without it stdin is empty.
   */
  input?: string;
  /** Output kept, in bytes; 4 KiB unless said. */
  maxOutput?: number;
}

/** Runs `argv` (a host binary) in the network namespace of the process `pid`, bounded by `timeoutMs`. */
export function runInNetns(
  pid: number,
  argv: string[],
  timeoutMs: number,
  options: BoundedInput = {},
): Promise<CommandOutcome> {
  return runBounded(
    'nsenter',
    ['-t', String(pid), '-U', '-n', '--preserve-credentials', ...argv],
    timeoutMs,
    options,
  );
}

/**
 * Runs a command with an empty stdin (nc ends when its input does) or the given input, its stdout
 * and stderr together, killed after `timeoutMs` — from outside, since busybox wget's own -T
 * crashes on this busybox version.
 */
export function runBounded(
  command: string,
  args: string[],
  timeoutMs: number,
  options: BoundedInput = {},
): Promise<CommandOutcome> {
  const maxOutput = options.maxOutput ?? 4096;
  return new Promise((resolve, reject) => {
    const withInput = options.input !== undefined;
    const child = spawn(command, args, { stdio: [withInput ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    if (child.stdin) {
      // A command that ends before reading all of it closes the pipe: that is its answer, not ours.
      child.stdin.on('error', () => {});
      child.stdin.write(options.input);
    }
    const chunks: Buffer[] = [];
    let kept = 0;
    const keep = (chunk: Buffer) => {
      if (kept >= maxOutput) return;
      chunks.push(chunk);
      kept += chunk.length;
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      const output = Buffer.concat(chunks).subarray(0, maxOutput).toString('utf8');
      resolve({ exitCode: timedOut ? -1 : (code ?? -1), output, timedOut });
    });
  });
}

/** The status code of the first response `busybox wget -S` printed, if any. */
export function firstHttpStatus(output: string): number | undefined {
  const match = /HTTP\/\d(?:\.\d)? (\d{3})/.exec(output);
  return match ? Number(match[1]) : undefined;
}

/** `busybox wget` for an HTTP probe inside the namespace: headers to stderr, body discarded. */
export const wgetArgv = (port: number, path: string): string[] => [
  HOST_BUSYBOX,
  'wget',
  '-q',
  '-S',
  '-O',
  '/dev/null',
  `http://127.0.0.1:${port}${path}`,
];

/** `busybox nc` for a TCP probe inside the namespace: connects, and ends at once (stdin is empty). */
export const ncArgv = (port: number, timeoutMs: number): string[] => [
  HOST_BUSYBOX,
  'nc',
  '-w',
  String(Math.max(1, Math.ceil(timeoutMs / 1000))),
  '127.0.0.1',
  String(port),
];
