import { defineConfig } from 'vitest/config';

// Three projects: unit specs beside the code are pure and need nothing; integration tests drive
// real rootless Podman and a registry, which the global setup checks and starts once per run; the
// web UI's specs run in a simulated DOM (ui/vitest.config.ts).
export default defineConfig({
  cacheDir: '/tmp/archipelago-vitest-cache',
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.spec.ts'], testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      '../ui/vitest.config.ts',
    ],
  },
});
