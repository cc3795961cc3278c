import { defineConfig } from 'vitest/config';

// Integration tests drive real rootless Podman and share one machine, so files run one at a
// time per worker; unit specs beside the code are fast and pure.
export default defineConfig({
  cacheDir: '/tmp/archipelago-vitest-cache',
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
