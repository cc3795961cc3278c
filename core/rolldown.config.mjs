// Bundles the built CLI + daemon (dist/, from tsc) into dist/bundle/: what `archy`, `npm start`,
// the integration tests and the benchmarks run. Bundled and minified, the daemon keeps ~10 MB
// less resident than the same code loaded module by module (fewer module records, no unused
// exports such as zod's 60 locales, smaller source strings). Code that only some commands need
// (the daemon, the image pipeline) stays in chunks loaded on demand.
import { defineConfig } from 'rolldown';

export default defineConfig({
  // app-tree-helper: the small process the daemon starts in the rootless user namespace to reach
  // app data (orchestrator/app-tree-client.ts); its own entry, so it starts without the CLI.
  input: { archy: 'dist/cli/main.js', 'app-tree-helper': 'dist/orchestrator/app-tree-helper.js' },
  platform: 'node',
  // Fastify requires these only when a route declares a JSON Schema (ours never do: see
  // api/zod-only-schema-controller.ts) or in tests (inject); left out, they cost nothing.
  // xmlbuilder2: the CycloneDX library's optional XML writer (we write JSON only; it requires
  // it inside a try and copes with its absence).
  external: [
    '@fastify/ajv-compiler',
    '@fastify/fast-json-stringify-compiler',
    'light-my-request',
    'xmlbuilder2',
  ],
  output: {
    // Same depth below the repo as dist/cli/ and dist/daemon/: the paths the code computes from
    // import.meta.url (apps/, catalog/, ui/dist/, package.json) hold in the bundle too.
    dir: 'dist/bundle',
    format: 'esm',
    entryFileNames: '[name].mjs',
    chunkFileNames: '[name]-[hash].mjs',
    minify: true,
    // Names in stack traces and `.name` stay readable; the source map maps lines back
    // (node --enable-source-maps).
    keepNames: true,
    sourcemap: true,
    // V8 keeps a source with any non-ASCII character as two bytes per character.
    charset: 'ascii',
    cleanDir: true,
  },
});
