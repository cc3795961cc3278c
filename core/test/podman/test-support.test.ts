import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeTestResources } from '../support/cleanup.js';
import { podman } from '../support/podman-cli.js';
import { DATA_DIR_LABEL, helloImage, testRoot, testRunId, uniqueAppId, waitFor } from '../support/index.js';

// The teardown must find what a daemon under test created: it labels containers and networks
// with its data dir, which tests put under the run's temp root.
describe('test teardown', () => {
  it('removes containers and networks labelled with a data dir under the run root, and nothing else', async () => {
    const otherRun = `other-${testRunId()}`;
    const ours = uniqueAppId('daemon-made');
    const network = uniqueAppId('daemon-net');
    // A root of its own: the run's real root also holds other test files' daemons, running now.
    const fakeRoot = join(testRoot(), uniqueAppId('teardown-check'));
    const dataDir = join(fakeRoot, 'some-daemon');
    await podman(['network', 'create', '--label', `${DATA_DIR_LABEL}=${dataDir}`, network]);
    await podman(['create', '--name', ours, '--label', `${DATA_DIR_LABEL}=${dataDir}`, helloImage('1.0.0')]);
    // A fake run whose root is elsewhere: its teardown must leave ours alone.
    expect(await removeTestResources(otherRun, '/nonexistent/archy-test-other')).toEqual([]);
    expect(await podman(['ps', '-a', '--filter', `name=${ours}`, '--format', '{{.Names}}'])).toContain(ours);

    expect(await removeTestResources(otherRun, fakeRoot)).toEqual([]);
    await waitFor(async () => !(await podman(['ps', '-a', '--format', '{{.Names}}'])).includes(ours), {
      what: 'the daemon-made container to be removed',
    });
    expect(await podman(['network', 'ls', '--format', '{{.Name}}'])).not.toContain(network);
  });
});
