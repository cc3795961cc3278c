// The podman CLI, for the pipeline's image build and push only. The daemon speaks Podman's REST
// API; a build tool is better served by the CLI, which already knows `import`, `push
// --digestfile`, registries.conf and credentials, and which an operator can rerun by hand.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A podman command that failed, with its stderr (podman's own reason) kept apart for messages. */
export class PodmanCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`podman ${args.join(' ')} failed: ${stderr}`, options);
    this.name = 'PodmanCommandError';
  }
}

/** Runs `podman <args>` and returns stdout; throws PodmanCommandError with podman's last stderr line. */
export async function podmanCommand(args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
  try {
    const { stdout } = await run('podman', args, {
      timeout: options.timeoutMs ?? 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string; code?: unknown };
    const lines = (e.stderr ?? '').trim().split('\n').filter(Boolean);
    const reason =
      e.code === 'ENOENT' ? 'podman is not installed (apt-get install podman)' : (lines.at(-1) ?? e.message);
    throw new PodmanCommandError(args, reason.replace(/^Error: /, ''), { cause: error });
  }
}
