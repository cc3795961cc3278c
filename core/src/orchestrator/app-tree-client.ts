// The daemon's side of app-tree-helper.ts: starts it inside the rootless user namespace with
// `podman unshare` (root there over the sub-uids that own an app's files), hands it one request on
// stdin and reads its reply. The helper never follows a link in the app's tree (app-tree-ops.ts).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  const argv = ['unshare', process.execPath, script];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolvePromise, reject) => {
      const child = spawn(options.podmanBinary ?? 'podman', argv, {
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: options.timeoutMs ?? 120_000,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_REPLY_BYTES) child.kill('SIGKILL');
        else out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (exitCode) =>
        resolvePromise({
          code: exitCode,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      );
      child.stdin.on('error', () => undefined); // a helper that died early: its exit code says why
      child.stdin.end(JSON.stringify(request));
    },
  );
  if (code !== 0 || stdout.trim() === '') {
    throw new Error(
      `podman unshare failed (${(stderr.trim() || `exit ${code}`).split('\n')[0]}); the daemon reaches app data ` +
        'through it: check that rootless Podman works for this user (podman unshare true)',
    );
  }
  return JSON.parse(stdout) as AppTreeReply;
}
