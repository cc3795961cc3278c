#!/usr/bin/env node
// Re-signs the bundled catalog (catalog/catalog.json) from catalog/releases.json, and creates the
// trusted root (catalog/root.json, catalog/1.root.json) when there is none. Private keys stay out
// of the repository, in --keys DIR (default ~/.archipelago-dev-keys/catalog).
//
//   npm run build && node scripts/bundle-catalog.mjs [--keys DIR] [--new-root]

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const keysAt = args.indexOf('--keys');
const here = dirname(fileURLToPath(import.meta.url));

let catalogModule;
try {
  catalogModule = await import('../core/dist/catalog/index.js');
} catch {
  console.error('core is not built; run: npm run build');
  process.exit(1);
}
const { bundleCatalog, formatRoot, formatSignedCatalog, DEFAULT_DEV_KEYS_DIR } = catalogModule;

try {
  const keysDir = keysAt === -1 ? DEFAULT_DEV_KEYS_DIR : args[keysAt + 1];
  const result = await bundleCatalog({
    outDir: join(here, '..', 'catalog'),
    keysDir,
    newRoot: args.includes('--new-root'),
  });
  if (result.createdKeys) console.log(`created signing keys in ${keysDir} (keep them out of git)`);
  console.log(formatRoot(result.root));
  console.log(formatSignedCatalog(result.catalog));
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
