// The ids of the apps shipped with Archipelago (one folder each under apps/), for checks the CLI
// makes without a daemon. Found where the daemon finds them: ARCHY_APPS_DIR, else apps/ beside
// core/ — this file and the bundle (core/dist/bundle/) are both two folders below core/.

import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { APP_ID_PATTERN } from '../util/app-id.js';

const BUNDLED_APPS_DIR = fileURLToPath(new URL('../../../apps/', import.meta.url));

export async function bundledAppIds(
  dir = process.env.ARCHY_APPS_DIR ?? BUNDLED_APPS_DIR,
): Promise<Set<string>> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return new Set(
      entries.filter((entry) => entry.isDirectory() && APP_ID_PATTERN.test(entry.name)).map((e) => e.name),
    );
  } catch {
    // No bundled apps here (a CLI installed on its own): nothing to compare with.
    return new Set();
  }
}
