import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every container/network/secret/pod a test creates carries this label with the run id. */
export const TEST_RUN_LABEL = 'io.archipelago.test-run';
/** The daemon labels what it creates with its data dir; teardown matches it under the run's root. */
export const DATA_DIR_LABEL = 'io.archipelago.data-dir';
/** The ARCHITECTURE example manifest pulls 127.0.0.1:5000/apps/hello:1.0.0, so this port is fixed. */
export const REGISTRY_HOST = '127.0.0.1:5000';

export const testRootFor = (runId: string): string => join(tmpdir(), `archy-test-${runId}`);
/** Shared by concurrent test runs on this machine: one registry, reference-counted by leases. */
export const sharedRegistryDir = (): string => join(tmpdir(), 'archy-test-registry');
