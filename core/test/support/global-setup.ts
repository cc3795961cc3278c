import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { removeTestResources } from './cleanup.js';
import { REGISTRY_HOST, testRootFor } from './constants.js';
import { podman, podmanJson } from './podman-cli.js';
import { acquireRegistry, releaseRegistry } from './shared-registry.js';
import { buildAndPushBitcoindDoubles } from './bitcoind-double-images.js';
import { buildAndPushTestImages } from './test-images.js';

declare module 'vitest' {
  export interface ProvidedContext {
    archyTestRunId: string;
    archyTestRoot: string;
    archyTestRegistry: string;
  }
}

/**
 * Once per `vitest run`: checks rootless Podman, brings up the test registry on 127.0.0.1:5000
 * with the test images in it, and hands tests a run id and a temp root. Teardown removes
 * everything the run created in Podman (by label) and on disk.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await assertRootlessPodman();

  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const root = testRootFor(runId);
  mkdirSync(root, { recursive: true, mode: 0o700 });

  let registryHeld = false;
  const teardown = async (): Promise<void> => {
    const problems = await removeTestResources(runId, root);
    if (registryHeld)
      await releaseRegistry(runId).catch((err: Error) => problems.push(`registry: ${err.message}`));
    await removeTree(root).catch((err: Error) => problems.push(`temp root: ${err.message}`));
    if (problems.length) console.warn(`[test teardown] left behind:\n  ${problems.join('\n  ')}`);
  };

  try {
    await acquireRegistry(runId);
    registryHeld = true;
    await Promise.all([buildAndPushTestImages(root), buildAndPushBitcoindDoubles(root)]);
  } catch (err) {
    await teardown();
    throw err;
  }

  process.env.ARCHY_TEST_RUN_ID = runId;
  process.env.ARCHY_TEST_ROOT = root;
  process.env.ARCHY_TEST_REGISTRY = REGISTRY_HOST;
  project.provide('archyTestRunId', runId);
  project.provide('archyTestRoot', root);
  project.provide('archyTestRegistry', REGISTRY_HOST);
  return teardown;
}

async function assertRootlessPodman(): Promise<void> {
  let rootless: boolean | undefined;
  let why = '';
  try {
    const info = await podmanJson<{ host: { security: { rootless: boolean } } }>([
      'info',
      '--format',
      'json',
    ]);
    rootless = info.host.security.rootless;
  } catch (err) {
    why = ` (${(err as Error).message.split('\n')[0]})`;
  }
  if (rootless !== true) {
    throw new Error(
      `Integration tests must run against rootless Podman, but \`podman info\` ${
        rootless === false ? 'reports rootless=false (are you root?)' : `failed${why}`
      }. Run them through \`npm test\`, which runs them as the rootless user (scripts/as-archy.sh), ` +
        'e.g. `cd core && ../scripts/as-archy.sh npx vitest run`; set the host up first with `scripts/host-setup.sh --test`.',
    );
  }
}

/**
 * Containers chown bind mounts (`U`) to subordinate uids the test user cannot delete as itself;
 * `podman unshare` runs the removal inside the user namespace, where it owns them.
 */
async function removeTree(path: string): Promise<void> {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    await podman(['unshare', 'rm', '-rf', path]);
  }
}
