// Health probes of ports an app does not publish: the daemon probes them from inside the app's
// own network namespace (nsenter + the host's busybox), so an app need not expose its RPC or
// admin port on the host just to be health-checked.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppHealth } from '../../src/api/contract.js';
import { tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { writeBreakableManifest } from './manifests.js';

describe('probes of unpublished ports', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('probes-inside');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  /** An app serving /ok on 8080 with nothing published, probed by `probe`. */
  const install = async (probe: string): Promise<string> => {
    const id = uniqueAppId('inside');
    await daemon.cliJson(['install', writeBreakableManifest(dir, { id, probe })]);
    return id;
  };
  const health = (id: string) => daemon.cliJson<AppHealth>(['health', id]);

  it('finds an HTTP endpoint healthy inside the app, and restarts the app when it fails', async () => {
    const id = await install('http: { port: 8080, path: /ok }');
    try {
      const healthy = await waitFor(
        async () => ((await health(id)).status === 'healthy' ? health(id) : undefined),
        {
          what: `${id} healthy through its unpublished port`,
          timeoutMs: 20_000,
        },
      );
      expect(healthy.probes[0]?.detail).toBe("HTTP 200 from :8080/ok (inside the app's network)");
      // Nothing was published on the host for it.
      expect((await podman(['port', `archy-${id}`])).trim()).toBe('');

      await podman(['exec', `archy-${id}`, 'rm', '/tmp/w/ok']);
      const restarted = await waitFor(
        async () => {
          const now = await health(id);
          return now.restartCount >= 1 ? now : undefined;
        },
        { what: `${id} restarted after its unpublished endpoint failed`, timeoutMs: 30_000 },
      );
      expect(
        restarted.probes.some((p) => p.detail === "HTTP 404 from :8080/ok (inside the app's network)"),
      ).toBe(true);
      // The restart ran the command again, which serves /ok anew: healthy once more.
      await waitFor(async () => (await health(id)).status === 'healthy', {
        what: `${id} healthy again after its restart`,
        timeoutMs: 30_000,
      });
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  });

  it('connects to an unpublished TCP port, and says when nothing listens there', async () => {
    const id = await install('tcp: { port: 8080 }');
    try {
      const healthy = await waitFor(
        async () => ((await health(id)).status === 'healthy' ? health(id) : undefined),
        {
          what: `${id} healthy through a TCP connect inside`,
          timeoutMs: 20_000,
        },
      );
      expect(healthy.probes[0]?.detail).toBe("TCP connect to :8080 succeeded (inside the app's network)");
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
    const closed = await install('tcp: { port: 7999 }');
    try {
      const refused = await waitFor(
        async () => {
          const now = await health(closed);
          return now.probes.find((p) => !p.ok);
        },
        { what: `${closed}'s probe of a closed port`, timeoutMs: 20_000 },
      );
      expect(refused.detail).toBe('connection refused');
    } finally {
      await daemon.cli(['remove', closed, '--purge', '--yes']);
    }
  });
});
