import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { podman } from '../support/podman-cli.js';
import type { TestDaemon } from '../support/daemon-harness.js';

/** Asserts that nothing of app `id` is left: no container (nor Tor sidecar), network, record, data dir or listing. */
export async function expectNothingLeft(daemon: TestDaemon, id: string): Promise<void> {
  // The app's container and its Tor sidecar (archy-<id>.tor).
  const containers = await podman([
    'ps',
    '-a',
    '--filter',
    `name=^archy-${id}(\\.tor)?$`,
    '--format',
    '{{.Names}}',
  ]);
  expect(containers.trim(), 'container left behind').toBe('');
  const networks = await podman(['network', 'ls', '--filter', `name=^archy-${id}$`, '--format', '{{.Name}}']);
  expect(networks.trim(), 'network left behind').toBe('');
  expect(existsSync(join(daemon.dataDir, 'state', 'apps', `${id}.json`)), 'app record left behind').toBe(
    false,
  );
  expect(existsSync(join(daemon.dataDir, 'apps', id)), 'data dir left behind').toBe(false);
  const list = await daemon.cliJson<{ id: string }[]>(['list']);
  expect(list.map((app) => app.id)).not.toContain(id);
}
