// The runner against a stand-in `podman` (a shell script given as podmanBinary): what is under
// test is the runner's process handling and error style, not Podman.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodmanCliError, runPodman } from './cli.js';

let dir: string;
let fake: string;
let pidFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podman-cli-'));
  fake = join(dir, 'podman');
  pidFile = join(dir, 'grandchild.pid');
  await writeFile(
    fake,
    `#!/bin/sh
case "$1" in
  echo) cat ;;
  fail) echo "progress line" >&2; echo "Error: no such image: x" >&2; exit 125 ;;
  hang) sleep 30 & echo $! > ${pidFile}; wait ;;
  flood) yes ;;
esac
`,
  );
  await chmod(fake, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Running (not gone, not a zombie waiting for a reaper). */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('runPodman', () => {
  it('hands stdin over and returns stdout', async () => {
    const { stdout } = await runPodman(['echo'], { doing: 'echoing', input: 'hello', podmanBinary: fake });
    expect(stdout).toBe('hello');
  });

  it("says what we were doing, the command and podman's reason", async () => {
    const error = await runPodman(['fail', 'x'], {
      doing: 'importing x',
      hint: 'try again',
      podmanBinary: fake,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PodmanCliError);
    expect(error).toMatchObject({ failure: 'exit', exitCode: 125, stderr: 'no such image: x' });
    expect((error as Error).message).toBe('importing x failed: podman fail x: no such image: x; try again');
  });

  it('reports a missing podman as not installed', async () => {
    await expect(runPodman(['x'], { doing: 'd', podmanBinary: join(dir, 'absent') })).rejects.toMatchObject({
      failure: 'not-installed',
    });
  });

  it('leaves no process behind on timeout or abort', async () => {
    await expect(
      runPodman(['hang'], { doing: 'd', timeoutMs: 300, podmanBinary: fake }),
    ).rejects.toMatchObject({
      failure: 'timeout',
    });
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    // SIGKILL is delivered at once, but the kernel may need a moment to end the process.
    for (let i = 0; i < 50 && (await alive(grandchild)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await alive(grandchild)).toBe(false);

    const abort = new AbortController();
    const running = runPodman(['hang'], { doing: 'd', signal: abort.signal, podmanBinary: fake });
    setTimeout(() => abort.abort(), 200);
    await expect(running).rejects.toMatchObject({ failure: 'aborted' });
  });

  it('ends a command whose output is beyond the limit', async () => {
    await expect(
      runPodman(['flood'], { doing: 'd', maxOutputBytes: 1024, podmanBinary: fake }),
    ).rejects.toMatchObject({ failure: 'too-much-output' });
  });
});
