import { defineConfig } from 'vitest/config';
import LockAwareSequencer from './test/support/lock-aware-sequencer.js';

// Three projects: unit specs beside the code are pure and need nothing; integration tests drive
// real rootless Podman and a registry, which the global setup checks and starts once per run; the
// web UI's specs run in a simulated DOM (ui/vitest.config.ts).
export default defineConfig({
  cacheDir: '/tmp/archipelago-vitest-cache',
  test: {
    pool: 'forks',
    maxWorkers: 2,
    // Files that take the bitcoin-* apps lock are planned so that one worker never idles on it.
    sequence: { sequencer: LockAwareSequencer },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.spec.ts'], testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // Fixtures (test/fixtures/*.fixture.ts, e.g. a deliberately failing file) only run inside a
          // nested `vitest run` a test starts with ARCHY_TEST_FIXTURES=1, never in the suite itself.
          include: [
            'test/**/*.test.ts',
            ...(process.env.ARCHY_TEST_FIXTURES === '1' ? ['test/fixtures/**/*.fixture.ts'] : []),
          ],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          globalSetup: ['test/support/global-setup.ts'],
          // Ends what a test file started and left running, even when its tests failed.
          setupFiles: ['test/support/file-teardown.ts'],
        },
      },
      '../ui/vitest.config.ts',
    ],
  },
});
