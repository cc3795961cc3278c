import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.js';

// Component and store specs beside the code, in a simulated DOM. Core's vitest config lists this
// project, so `npm test` runs these with the rest.
export default mergeConfig(
  viteConfig,
  defineConfig({
    // As core's: outside the root-owned node_modules, since the tests run as the rootless user.
    cacheDir: '/tmp/archipelago-vitest-cache',
    test: {
      name: 'ui',
      root: fileRoot(),
      environment: 'happy-dom',
      include: ['src/**/*.spec.ts'],
      testTimeout: 20_000,
    },
  }),
);

function fileRoot(): string {
  return new URL('.', import.meta.url).pathname;
}
