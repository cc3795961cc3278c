import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every container/network/secret/pod a test creates carries this label with the run id. */
export const TEST_RUN_LABEL = 'io.archipelago.test-run';
/** The daemon labels what it creates with its data dir; teardown matches it under the run's root. */
export const DATA_DIR_LABEL = 'io.archipelago.data-dir';
/** The test registry, plain HTTP on loopback, shared by the runs on this machine. */
export const REGISTRY_HOST = '127.0.0.1:5000';
/**
 * Every image the test setup builds or publishes lives under this namespace of the test registry
 * (`127.0.0.1:5000/archy-test/...`), never under a name the product uses, so a node that shares
 * the container storage can never mistake a test image (the bitcoind TEST DOUBLE) for a real one.
 */
export const TEST_IMAGE_NAMESPACE = 'archy-test';
/** Namespaces the product's own images use: no test image may carry one of these. */
export const PRODUCTION_IMAGE_NAMESPACES = ['archipelago', 'apps'] as const;

export const testRootFor = (runId: string): string => join(tmpdir(), `archy-test-${runId}`);
/**
 * Set by a test that runs a nested `vitest run` (the teardown proof): the run id its global setup
 * uses, so the outer test knows the nested run's temp root and labels.
 */
export const REQUESTED_RUN_ID_ENV = 'ARCHY_TEST_REQUESTED_RUN_ID';
/** Shared by concurrent test runs on this machine: one registry, reference-counted by leases. */
export const sharedRegistryDir = (): string => join(tmpdir(), 'archy-test-registry');
