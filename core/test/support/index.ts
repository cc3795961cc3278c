// Shared helpers for integration tests. Import from 'test/support/index.js'.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inject } from 'vitest';
import { PodmanClient, startPodmanService, type PodmanService } from '../../src/podman/index.js';
import { TEST_RUN_LABEL } from './constants.js';
import { trackDataDir } from './test-processes.js';

export { TEST_RUN_LABEL, DATA_DIR_LABEL } from './constants.js';
export { helloImage, crashImage, HELLO_REPOSITORY } from './test-images.js';
export {
  dependentDoubleImage,
  lightningDoubleImage,
  lightningDoubleMacaroonPath,
  DEPENDENT_DOUBLE_PORT,
  LIGHTNING_DOUBLE_REST_PORT,
  LIGHTNING_DOUBLE_DATA,
  ROLE_DOUBLE_UID,
} from './role-double-images.js';
export { bitcoindDoubleImage } from './bitcoind-double-images.js';

/** This `vitest run`'s id; everything a test creates in Podman is labelled with it. */
export const testRunId = (): string => process.env.ARCHY_TEST_RUN_ID ?? inject('archyTestRunId');

/** The run's temp root (`os.tmpdir()/archy-test-<runId>`), removed at teardown. */
export const testRoot = (): string => process.env.ARCHY_TEST_ROOT ?? inject('archyTestRoot');

/**
 * The run's signed test catalog folder (root.json, catalog.json; made by the global setup from
 * test-releases.json with keys made there): what daemons get as ARCHY_CATALOG_DIR.
 */
export const testCatalogDir = (): string =>
  process.env.ARCHY_TEST_CATALOG_DIR ?? inject('archyTestCatalogDir');

/** The test registry, `127.0.0.1:5000`; plain HTTP. */
export const registry = (): string => process.env.ARCHY_TEST_REGISTRY ?? inject('archyTestRegistry');

/** Labels to put on every container, network, secret and pod a test creates directly. */
export const testLabels = (): Record<string, string> => ({ [TEST_RUN_LABEL]: testRunId() });

/** A fresh directory under the run's root, mode 0700 (e.g. a daemon's data dir). */
export function tempDataDir(name: string): string {
  const parent = testRoot();
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  return mkdtempSync(join(parent, `${name.replace(/[^a-zA-Z0-9._-]/g, '-')}-`));
}

let appCounter = 0;
/** An app id valid for manifests (^[a-z0-9][a-z0-9-]{0,62}$) and unique across runs and files. */
export function uniqueAppId(prefix: string): string {
  appCounter += 1;
  const suffix = `${testRunId().slice(-6)}-${process.pid.toString(36)}${appCounter}`;
  return `${prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40)}-${suffix}`.toLowerCase();
}

/**
 * Polls `fn` until it returns something other than undefined/null/false, and returns that.
 * On timeout the error names `what` and the last value or error seen.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<Exclude<T, undefined | null | false>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let last: string = 'nothing yet';
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false)
        return value as Exclude<T, undefined | null | false>;
      last = `returned ${JSON.stringify(value)}`;
    } catch (err) {
      last = `threw ${(err as Error).message}`;
    }
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}; last attempt ${last}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** GET with a hard timeout; throws on network errors, returns any HTTP status. */
export async function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestPodman {
  client: PodmanClient;
  service: PodmanService;
  socketPath: string;
  /** Closes the client and stops the service. */
  stop(): Promise<void>;
}

/**
 * Starts a private `podman system service` for one test file (socket under the run's root,
 * the test registry trusted as plain HTTP) and a client for it.
 */
export async function startTestPodman(options: { insecureRegistries?: string[] } = {}): Promise<TestPodman> {
  const dir = tempDataDir('podman');
  // Ended at file end even if the file's own afterAll never gets to stop it.
  trackDataDir(dir);
  const socketPath = join(dir, 'podman.sock');
  const service = await startPodmanService({
    socketPath,
    logFile: join(dir, 'service.log'),
    insecureRegistries: [registry(), ...(options.insecureRegistries ?? [])],
  });
  const client = new PodmanClient({ socketPath });
  return {
    client,
    service,
    socketPath,
    stop: async () => {
      await client.close();
      await service.stop();
    },
  };
}
