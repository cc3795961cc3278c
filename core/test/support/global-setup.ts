import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { removeTestResources } from './cleanup.js';
import { REGISTRY_HOST, REQUESTED_RUN_ID_ENV, testRootFor } from './constants.js';
import { podman, podmanJson } from './podman-cli.js';
import { acquireRegistry, releaseRegistry } from './shared-registry.js';
import { buildAndPushBitcoindDoubles } from './bitcoind-double-images.js';
import { buildAndPushRoleDoubles } from './role-double-images.js';
import { writeTestCatalog } from './test-catalog.js';
import { buildAndPushTestImages, untagTestImagesUnderProductionNames } from './test-images.js';
import { endArchyProcessesUnder, endPids, endPodmanServicesIn, processesUnder } from './test-processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    archyTestRunId: string;
    archyTestRoot: string;
    archyTestRegistry: string;
    archyTestCatalogDir: string;
  }
}

/**
 * Once per `vitest run`: checks rootless Podman, brings up the test registry on 127.0.0.1:5000
 * with the test images in it (under 127.0.0.1:5000/archy-test/ only), signs the tests' own catalog
 * with keys made under the run's temp root, and hands tests a run id, that root and the catalog.
 * Teardown ends every process of the run still alive (daemons, CLI children, the Podman services
 * killed daemons left), removes everything the run created in Podman (by label) and on disk.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await assertRootlessPodman();

  const runId = requestedRunId() ?? `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const root = testRootFor(runId);
  mkdirSync(root, { recursive: true, mode: 0o700 });

  let registryHeld = false;
  const teardown = async (): Promise<void> => {
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      await fn().catch((err: Error) => problems.push(`${what}: ${err.message}`));
    };
    // Daemons first: one still running would recreate the containers removed next.
    await attempt('processes', async () => {
      const ended = await endArchyProcessesUnder(root);
      if (ended.length) console.warn(`[test teardown] ended processes a test file left: ${ended.join(', ')}`);
    });
    problems.push(...(await removeTestResources(runId, root)));
    await attempt('podman services', () => endPodmanServicesIn(root));
    await attempt('leftover processes', async () => {
      const left = processesUnder(root);
      if (!left.length) return;
      problems.push(...left.map((proc) => `process ${proc.pid}: ${proc.args.join(' ').slice(0, 200)}`));
      await endPids(
        left.map((proc) => proc.pid),
        (pid) => processesUnder(root).some((proc) => proc.pid === pid),
        2000,
      );
    });
    if (registryHeld) await attempt('registry', () => releaseRegistry(runId));
    await attempt('temp root', () => removeTree(root));
    if (problems.length) console.warn(`[test teardown] left behind:\n  ${problems.join('\n  ')}`);
  };

  let catalogDir: string;
  try {
    await acquireRegistry(runId);
    registryHeld = true;
    const untagged = await untagTestImagesUnderProductionNames();
    if (untagged.length)
      console.warn(
        `[test setup] took production names off test images an older run built: ${untagged.join(', ')}`,
      );
    [catalogDir] = await Promise.all([
      writeTestCatalog(join(root, 'test-catalog')),
      buildAndPushTestImages(root),
      buildAndPushBitcoindDoubles(root),
      buildAndPushRoleDoubles(root),
    ]);
  } catch (err) {
    await teardown();
    throw err;
  }

  process.env.ARCHY_TEST_RUN_ID = runId;
  process.env.ARCHY_TEST_ROOT = root;
  process.env.ARCHY_TEST_REGISTRY = REGISTRY_HOST;
  process.env.ARCHY_TEST_CATALOG_DIR = catalogDir;
  project.provide('archyTestRunId', runId);
  project.provide('archyTestRoot', root);
  project.provide('archyTestRegistry', REGISTRY_HOST);
  project.provide('archyTestCatalogDir', catalogDir);
  return teardown;
}

/** The run id a nested run was asked to use (the teardown proof), else undefined. */
function requestedRunId(): string | undefined {
  const requested = process.env[REQUESTED_RUN_ID_ENV];
  if (requested === undefined) return undefined;
  if (!/^[a-z0-9]{6,40}$/.test(requested))
    throw new Error(`${REQUESTED_RUN_ID_ENV}='${requested}' must be 6-40 lowercase letters and digits`);
  return requested;
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
