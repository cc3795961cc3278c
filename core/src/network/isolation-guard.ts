import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const run = promisify(execFile);
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

const JUMP = ['FORWARD', '-j', 'NETAVARK_ISOLATION_1'];

/**
 * Keeps app networks apart despite a netavark 1.4 bug: when the last container of any isolated
 * network is torn down, netavark deletes the FORWARD → NETAVARK_ISOLATION_1 jump in the rootless
 * network namespace, and every isolated network can then reach every other by IP until a
 * container starts again. After each container teardown the guard puts the jump back (it is
 * idempotent: it checks before inserting). Runs `iptables` inside Podman's rootless netns.
 */
export class IsolationGuard {
  private pending: Promise<void> | undefined;
  private again = false;

  constructor(private readonly log: Logger) {}

  /** A container went away somewhere: re-check soon (coalescing bursts into one check). */
  containerTornDown(): void {
    if (this.pending) {
      this.again = true;
      return;
    }
    // Podman tears the network down a moment after the event that announces the container's
    // end (in a separate cleanup process), so look a little later, and once more after that.
    this.pending = delay(300)
      .then(() => this.check())
      .then(() => delay(1_500))
      .then(() => this.check())
      .finally(() => {
        this.pending = undefined;
        if (this.again) {
          this.again = false;
          this.containerTornDown();
        }
      });
  }

  /** Resolves when no check is running (for shutdown). */
  async idle(): Promise<void> {
    while (this.pending) await this.pending;
  }

  async check(): Promise<void> {
    try {
      // No isolation chain at all means no isolated network exists yet: nothing to guard.
      if (!(await iptables(['-n', '-L', 'NETAVARK_ISOLATION_1']))) return;
      if (await iptables(['-C', ...JUMP])) return;
      if (await iptables(['-I', ...JUMP.slice(0, 1), '1', ...JUMP.slice(1)])) {
        this.log.warn('restored the network isolation rule netavark removed; app networks are apart again');
      }
    } catch (error) {
      this.log.error({ err: error }, 'could not check network isolation');
    }
  }
}

/** Runs iptables in the rootless netns; true when it exits 0. */
async function iptables(args: string[]): Promise<boolean> {
  try {
    await run('podman', ['unshare', '--rootless-netns', 'iptables', '-w', ...args], { timeout: 10_000 });
    return true;
  } catch (error) {
    if (typeof (error as { code?: unknown }).code === 'number') return false;
    throw error;
  }
}
