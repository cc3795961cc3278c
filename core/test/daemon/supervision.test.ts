import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { freePort, helloImage, httpGet, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { writeBreakableManifest, writeHelloManifest } from './manifests.js';

/** The daemon's log without its request lines: what it decided, for a failure message. */
const daemonEvents = (daemon: TestDaemon): string =>
  daemon
    .log()
    .split('\n')
    .filter((line) => !/request|rpc call/.test(line))
    .join('\n')
    .slice(-8000);

const containerId = async (id: string) =>
  (await podman(['inspect', '--format', '{{.Id}}', `archy-${id}`])).trim();

describe('the supervisor restarts failed apps, and leaves stopped ones alone', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('supervision');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const status = (id: string) => daemon.cliJson<AppStatus>(['status', id]);

  it('restarts an app whose process was killed, once per death, keeping its container', async () => {
    const id = uniqueAppId('killed');
    const port = await freePort();
    await daemon.cliJson(['install', writeHelloManifest(dir, { id, hostPort: port })]);
    const original = await containerId(id);
    // Three deaths, three restarts: a death counted twice would show here (and would bring on
    // the crash loop sooner).
    for (let death = 1; death <= 3; death += 1) {
      await podman(['kill', '--signal', 'KILL', `archy-${id}`]);
      // What the daemon saw and did, for a failure message.
      const account = async (what: string) =>
        `${what}; status: ${JSON.stringify(await status(id))}; health: ${JSON.stringify(
          await daemon.cliJson(['health', id]),
        )}\n${daemonEvents(daemon)}`;
      const restarted = await waitFor(
        async () => {
          const s = await status(id);
          return s.restartCount >= death && s.state === 'running' ? s : undefined;
        },
        // Generous: on a loaded 2-core machine Podman's died event and the start can take seconds.
        { what: `${id} to be restarted and running after death ${death}`, timeoutMs: 45_000 },
      ).catch(async (error: Error) => expect.fail(await account(error.message)));
      expect(restarted.containerId).toBe(original);
      if (restarted.restartCount !== death)
        expect.fail(await account(`death ${death} brought ${restarted.restartCount} restarts`));
    }
    // Nothing more happens on its own.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await status(id)).toMatchObject({ state: 'running', restartCount: 3 });
    expect((await httpGet(`http://127.0.0.1:${port}/`)).status).toBe(200);
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('takes Podman’s own restart of a crashed app as its first restart, and probes it again', async () => {
    const id = uniqueAppId('crashed');
    const port = await freePort();
    await daemon.cliJson(['install', writeHelloManifest(dir, { id, hostPort: port })]);
    const original = await containerId(id);
    // Killed from outside Podman, as a crash would be (`podman kill` is a user's stop to Podman).
    const pid = Number((await podman(['inspect', '--format', '{{.State.Pid}}', `archy-${id}`])).trim());
    process.kill(pid, 'SIGKILL');
    const restarted = await waitFor(
      async () => {
        const s = await status(id);
        return s.restartCount === 1 && s.state === 'running' ? s : undefined;
      },
      { what: `${id} to be running again after its crash`, timeoutMs: 30_000 },
    ).catch(async (error: Error) => expect.fail(`${error.message}\n${daemonEvents(daemon)}`));
    expect(restarted.containerId).toBe(original);
    // Podman made the restart (its restart event), the daemon counted it: no second one follows.
    expect(daemon.log()).toMatch(new RegExp(`"app":"${id}".*"by":"podman".*restarting a failed app`));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await status(id)).toMatchObject({ state: 'running', restartCount: 1 });
    expect((await httpGet(`http://127.0.0.1:${port}/`)).status).toBe(200);
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('restarts an app whose health probe fails', async () => {
    const id = uniqueAppId('sickly');
    const port = await freePort();
    const file = writeBreakableManifest(dir, { id, hostPort: port });
    await daemon.cliJson(['install', file]);
    await podman(['exec', `archy-${id}`, 'rm', '/tmp/w/ok']);
    await waitFor(
      async () => (await status(id)).state === 'unhealthy' || (await status(id)).restartCount >= 1,
      {
        what: `${id} to be seen unhealthy`,
        timeoutMs: 15_000,
      },
    );
    const recovered = await waitFor(
      async () => {
        const s = await status(id);
        return s.restartCount >= 1 && s.health === 'healthy' ? s : undefined;
      },
      { what: `${id} to be restarted and healthy again`, timeoutMs: 20_000 },
    );
    expect(recovered.state).toBe('running');
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('backs off, then reports a crash loop with the exit code and last output', async () => {
    const id = uniqueAppId('looper');
    const file = join(dir, `${id}.yml`);
    writeFileSync(
      file,
      [
        `id: ${id}`,
        'name: Looper',
        'version: "1.0.0"',
        `image: ${helloImage('1.0.0')}`,
        'command: ["/bin/sh", "-c", "echo up; sleep 1.3; echo going down >&2; exit 4"]',
        'stopTimeout: 1s',
        '',
      ].join('\n'),
    );
    await daemon.cliJson(['install', file]);
    const looping = await waitFor(
      async () => {
        const s = await status(id);
        return s.state === 'crash-loop' ? s : undefined;
      },
      { what: `${id} to be reported in a crash loop`, timeoutMs: 45_000, intervalMs: 250 },
    );
    expect(looping.restartCount).toBe(4);
    expect(looping.crashLoop?.exitCode).toBe(4);
    expect(looping.crashLoop?.lastLogs).toContain('going down');
    expect(looping.message).toMatch(/crash loop.*archy start/);
    // It stays given up: no more restarts happen on their own.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await status(id)).restartCount).toBe(4);
    const human = await daemon.cli(['status', id]);
    expect(human.stdout).toContain('going down');
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('never undoes a user stop', async () => {
    const id = uniqueAppId('stayoff');
    await daemon.cliJson(['install', writeHelloManifest(dir, { id, hostPort: await freePort() })]);
    await daemon.cliJson(['stop', id]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await status(id);
    expect(after).toMatchObject({ state: 'stopped', restartCount: 0 });
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });
});
