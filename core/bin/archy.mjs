#!/usr/bin/env node
// The `archy` command as npm links it (node_modules/.bin/archy) and as /usr/local/bin/archy runs
// it (scripts/start.sh). It exists because npm links a workspace's bin only if the target is
// there at install time, and the bundle it runs (dist/bundle/archy.mjs) is built afterwards.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/bundle/archy.mjs', import.meta.url);

if (existsSync(bundle)) {
  // The bundle runs the CLI when loaded, with this process's argv.
  import(bundle.href).catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  const checkout = fileURLToPath(new URL('../../', import.meta.url));
  console.error(
    `archy is not built yet (${fileURLToPath(bundle)} is missing); build it with: cd ${checkout} && npm run build (npm start builds it too)`,
  );
  process.exitCode = 1;
}
