import { defineConfig } from 'vitest/config';

// The OS image's tests: they boot the image os/build.sh made in a VM (scripts/check-os-image.sh
// runs them with ARCHY_OS_IMAGE set), one file at a time — a TCG VM wants both cores.
export default defineConfig({
  cacheDir: '/tmp/archipelago-vitest-cache',
  test: {
    root: import.meta.dirname,
    include: ['*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 10 * 60_000,
  },
});
