import type { Logger } from 'pino';
import { PodmanCliError, runPodman } from '../podman/cli.js';

/**
 * Drops anything *routed* from one Podman bridge to another. br_netfilter is on in the rootless
 * namespace, so traffic switched inside one bridge also passes FORWARD (with -i and -o both that
 * bridge); `! --physdev-is-bridged` leaves it alone. A dependent reaches its dependency through
 * its own interface on the dependency's network (switched, not routed), so this blocks exactly
 * the traffic between apps that share no network.
 */
const RULE = [
  'FORWARD',
  '-i',
  'podman+',
  '-o',
  'podman+',
  '-m',
  'physdev',
  '!',
  '--physdev-is-bridged',
  '-j',
  'DROP',
];

/**
 * Keeps app networks apart on our own terms. netavark's `isolate` option is not enough on
 * netavark 1.4: when the last container of any isolated network is torn down it deletes the
 * FORWARD → NETAVARK_ISOLATION_1 jump, and every network can then reach every other by IP until
 * a container starts again. netavark never touches a rule it did not write, so the daemon adds
 * its own to the rootless network namespace, and re-checks it whenever a container starts (the
 * namespace is recreated when the first container starts after none ran).
 */
export class IsolationGuard {
  private pending: Promise<void> | undefined;
  private again = false;

  constructor(private readonly log: Logger) {}

  /** A container started: the namespace may be new. Coalesces bursts into one check. */
  containerStarted(): void {
    if (this.pending) {
      this.again = true;
      return;
    }
    this.pending = this.check().finally(() => {
      this.pending = undefined;
      if (this.again) {
        this.again = false;
        this.containerStarted();
      }
    });
  }

  /** Resolves when no check is running (for shutdown). */
  async idle(): Promise<void> {
    while (this.pending) await this.pending;
  }

  /**
   * Makes the rule the first in FORWARD (idempotent). First, because netavark inserts its own
   * ACCEPT rules at the top when it sets a network up, and they would let the traffic through
   * before a DROP further down is reached. Logs instead of throwing.
   */
  async check(): Promise<void> {
    try {
      const listing = await iptablesOutput(['-S', 'FORWARD']);
      const rules = listing.split('\n').filter((line) => line.startsWith('-A FORWARD'));
      if (rules[0] === RULE_TEXT) return;
      while (await iptables(['-D', ...RULE])) {
        // remove every copy further down before putting one on top
      }
      if (await iptables(['-I', RULE[0]!, '1', ...RULE.slice(1)])) {
        this.log.info('put the rule that keeps app networks apart first in FORWARD');
      } else {
        this.log.warn(
          'could not add the rule that keeps app networks apart; apps on different networks may reach each other',
        );
      }
    } catch (error) {
      // No rootless network namespace yet (no container has run): the next start checks again.
      this.log.debug({ err: error }, 'network isolation check skipped');
    }
  }
}

const RULE_TEXT = `-A ${RULE.join(' ')}`;

const iptablesArgs = (args: string[]): string[] => ['unshare', '--rootless-netns', 'iptables', '-w', ...args];

async function iptablesOutput(args: string[]): Promise<string> {
  const { stdout } = await runPodman(iptablesArgs(args), {
    doing: 'reading the network isolation rules',
    timeoutMs: 10_000,
  });
  return stdout;
}

/** Runs iptables in Podman's rootless network namespace; true when it exits 0. */
async function iptables(args: string[]): Promise<boolean> {
  try {
    await runPodman(iptablesArgs(args), { doing: 'checking the network isolation rule', timeoutMs: 10_000 });
    return true;
  } catch (error) {
    // iptables answered "no" (exit 1 for -C of a missing rule): not a failure of the check itself.
    if (error instanceof PodmanCliError && error.failure === 'exit' && error.exitCode !== undefined)
      return false;
    throw error;
  }
}
