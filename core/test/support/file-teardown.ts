// Setup file of the integration project (vitest.config.ts `setupFiles`): when a test file ends,
// however its tests went, the daemons and CLI children it started that are still running are
// ended, and so are the Podman services killed daemons left in its data dirs. Registered before
// the file's own hooks, it runs after them (after-hooks run in reverse order): a file that stopped
// everything itself leaves nothing for it to do.

import { afterAll } from 'vitest';
import { endOrphanedPodmanServices, endTrackedProcesses } from './test-processes.js';

afterAll(async () => {
  const ended = await endTrackedProcesses();
  const services = await endOrphanedPodmanServices();
  if (ended.length || services.length) {
    // Not an error: a failed test leaves these by design; saying so helps read a failure.
    console.warn(
      `[file teardown] ended ${[...ended, ...services.map((pid) => `podman system service (pid ${pid})`)].join(', ')}`,
    );
  }
}, 60_000);
