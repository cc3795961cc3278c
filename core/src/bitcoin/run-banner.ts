// Which debug.log banner belongs to the run a marker records. The marker keeps the banner so later
// starts of a build that names itself differently from the catalog (`v27.99.0-…` for 27.2) are
// recognised; taking a banner another bitcoind printed would make the guard wave that one through.

import type { VersionBanner } from './datadir-inspect.js';

/**
 * Slack for a run's start time: Podman's StartedAt can trail the process's first log line by the
 * time it takes to report it, and the daemon's own estimate (a restart seen through events) later still.
 */
const START_SLACK_MS = 5_000;

/**
 * The banner the run started at `runStartedAt` printed, given the newest banner in debug.log:
 * only one printed between that start and `now`. A banner without a time (-logtimestamps=0) is
 * taken as before (nothing better is known); one stamped after `now` was not printed by a run
 * that is already healthy, and one from before the start was another run's.
 */
export function bannerOfRun(
  last: VersionBanner | undefined,
  runStartedAt: string | undefined,
  now: number,
): VersionBanner | undefined {
  if (!last || last.at === undefined) return last;
  const at = Date.parse(last.at);
  if (!Number.isFinite(at)) return undefined;
  if (at > now) return undefined;
  if (runStartedAt === undefined) return last;
  const started = Date.parse(runStartedAt);
  return Number.isFinite(started) && at < started - START_SLACK_MS ? undefined : last;
}
