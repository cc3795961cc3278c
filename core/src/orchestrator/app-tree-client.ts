// The daemon's side of app-tree-helper.ts: starts it inside the rootless user namespace with
// `podman unshare` (root there over the sub-uids that own an app's files), hands it one request on
// stdin and reads its reply. The helper never follows a link in the app's tree (app-tree-ops.ts).

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPodman } from '../podman/cli.js';
import type { AppTreeReply, AppTreeRequest } from './app-tree-ops.js';

/** A debug.log tail (1 MiB) in base64 plus small files; anything much larger is not a reply of ours. */
const MAX_REPLY_BYTES = 8 * 1024 * 1024;

export interface AppTreeClientOptions {
  podmanBinary?: string;
  /** The helper script; default: the one built beside this module (see helperScript). */
  helperScript?: string;
  timeoutMs?: number;
}

/**
 * Where the helper is: beside this code in the bundle (dist/bundle/app-tree-helper.mjs) and in
 * tsc's output (dist/orchestrator/app-tree-helper.js); from the TypeScript sources (tests run by
 * vitest) it is tsc's output, which `npm run build` makes.
 */
export function helperScript(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(moduleUrl);
  if (here.endsWith('.ts')) return resolve(dirname(here), '../../dist/orchestrator/app-tree-helper.js');
  if (here.endsWith('.mjs')) return join(dirname(here), 'app-tree-helper.mjs');
  return join(dirname(here), 'app-tree-helper.js');
}

/** Runs one request in the helper; throws when the helper could not run or gave no reply. */
export async function runInAppTree(
  request: AppTreeRequest,
  options: AppTreeClientOptions = {},
): Promise<AppTreeReply> {
  const script = options.helperScript ?? helperScript();
  if (!existsSync(script)) {
    throw new Error(`the daemon's helper ${script} is missing; rebuild with: npm run build`);
  }
  const { stdout } = await runPodman(['unshare', process.execPath, script], {
    doing: `reaching app data (${request.op})`,
    hint: 'the daemon reaches app data through podman unshare: check that rootless Podman works for this user (podman unshare true)',
    input: JSON.stringify(request),
    timeoutMs: options.timeoutMs ?? 120_000,
    maxOutputBytes: MAX_REPLY_BYTES,
    ...(options.podmanBinary !== undefined && { podmanBinary: options.podmanBinary }),
  });
  if (stdout.trim() === '') {
    throw new Error(
      `the daemon's helper ${script} gave no reply under podman unshare; rebuild with: npm run build`,
    );
  }
  return JSON.parse(stdout) as AppTreeReply;
}
