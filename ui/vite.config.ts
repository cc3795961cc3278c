import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const coreSource = (path: string): string => fileURLToPath(new URL(`../core/src/${path}`, import.meta.url));
/** Where `npm start` serves the daemon; `npm run dev -w ui` proxies the API there. */
const daemon = process.env.ARCHY_URL ?? 'http://127.0.0.1:5959';

export default defineConfig({
  plugins: [vue()],
  resolve: {
    // Core's browser-safe modules, compiled from source: the UI builds without core's dist and
    // shares its wire types and version grammar (one source of truth).
    alias: {
      '@archipelago/core/contract': coreSource('api/contract.ts'),
      '@archipelago/core/bitcoin-version': coreSource('bitcoin/version.ts'),
      '@archipelago/core/qr-code': coreSource('util/qr-code.ts'),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    proxy: {
      '/rpc': daemon,
      '/auth': daemon,
      '/ws': { target: daemon.replace(/^http/, 'ws'), ws: true },
    },
  },
});
