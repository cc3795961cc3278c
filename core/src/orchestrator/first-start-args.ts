// One-time start arguments: a version change that needs bitcoind to rebuild its databases creates
// the container with `-reindex` or `-reindex-chainstate`. A container keeps its command for life,
// so without care every later restart — the supervisor's, the user's, the reconcile after a
// reboot — would start that rebuild over: hours of work on a real node, every time.
//
// So the record remembers the arguments, and that they are `spent` once the app has been healthy
// with them: from then on the container is recreated without them. Dropping them mid-rebuild is
// safe: bitcoind records an unfinished reindex in its block index and resumes it on the next start
// without the flag, and a chainstate being rebuilt resumes from the height it reached.

/** Arguments the app's container was created with for its first start after a version change. */
export interface FirstStartArgs {
  args: string[];
  /** The app was healthy with them once: never start with them again. */
  spent: boolean;
}

/** The extra arguments a (re)created container gets: the one-time ones only until they are spent. */
export function argsForCreate(pending: FirstStartArgs | undefined): string[] {
  return pending && !pending.spent ? [...pending.args] : [];
}

/** Whether a container's command still carries any of the one-time arguments. */
export function commandCarries(command: readonly string[], args: readonly string[]): boolean {
  return args.some((arg) => command.includes(arg));
}

/**
 * What to do with an app's one-time arguments now:
 * - `keep`: none, or not spent and the app not (yet) healthy — a crash before then may retry them;
 * - `recreate`: spent (or healthy just now) and the container still has them — recreate without;
 * - `forget`: spent and the container no longer has them (or there is none): clear the record.
 */
export function firstStartArgsStep(input: {
  pending: FirstStartArgs | undefined;
  healthy: boolean;
  /** The current container's command; undefined when there is no container. */
  containerCommand: readonly string[] | undefined;
}): 'keep' | 'recreate' | 'forget' {
  const { pending, healthy, containerCommand } = input;
  if (!pending) return 'keep';
  if (!pending.spent && !healthy) return 'keep';
  if (containerCommand && commandCarries(containerCommand, pending.args)) return 'recreate';
  return 'forget';
}
