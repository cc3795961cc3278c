import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { freePort, helloImage, tempDataDir, uniqueAppId } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { expectNothingLeft } from './leftovers.js';

/** Fetches a URL from inside a container, bounded from outside (busybox wget -T segfaults). */
async function fetchFrom(container: string, url: string): Promise<string | undefined> {
  try {
    const body = await podman(['exec', container, 'wget', '-q', '-O', '-', url], { timeoutMs: 4_000 });
    // On the timeout's SIGTERM, `podman exec` proxies the signal and may exit 0 with no output:
    // an empty answer is no answer (every page served here has content).
    return body === '' ? undefined : body;
  } catch {
    return undefined;
  }
}

describe('dependencies: shared networks, typed values, ordering and refusals (real rootless Podman)', () => {
  let daemon: TestDaemon;
  let dir: string;
  // A unique interface per run, so the bundled apps never satisfy it.
  const iface = `svc-${Date.now().toString(36)}`;

  beforeAll(async () => {
    dir = tempDataDir('dependencies');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  function manifest(id: string, lines: string[], hostPort?: number): string {
    const file = join(dir, `${id}.yml`);
    writeFileSync(
      file,
      [
        `id: ${id}`,
        `name: ${id}`,
        'version: "1.0.0"',
        `image: ${helloImage('1.0.0')}`,
        'command: ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /www"]',
        ...(hostPort ? ['ports:', `  - { container: 8080, host: ${hostPort} }`] : []),
        'stopTimeout: 2s',
        ...lines,
        '',
      ].join('\n'),
    );
    return file;
  }

  it('a dependent reaches its dependency by id and interface; an unrelated app cannot', async () => {
    const provider = uniqueAppId('provider');
    const consumer = uniqueAppId('consumer');
    const stranger = uniqueAppId('stranger');
    await daemon.cliJson([
      'install',
      manifest(provider, [`provides: [${iface}]`, 'health:', '  tcp: { port: 8080 }'], await freePort()),
    ]);
    await daemon.cliJson([
      'install',
      manifest(consumer, ['dependencies:', `  - { id: ${iface}, requires: healthy }`]),
    ]);
    await daemon.cliJson(['install', manifest(stranger, [])]);

    expect(await fetchFrom(`archy-${consumer}`, `http://${iface}:8080/`)).toContain('hello from 1.0.0');
    expect(await fetchFrom(`archy-${consumer}`, `http://${provider}:8080/`)).toContain('hello from 1.0.0');
    const env = JSON.parse(await podman(['inspect', `archy-${consumer}`]))[0].Config.Env as string[];
    const name = iface.toUpperCase().replace(/-/g, '_');
    expect(env).toContain(`ARCHY_DEP_${name}_HOST=${iface}`);

    // netavark 1.4 drops the isolation rule when the last container of any isolated network is
    // torn down: provoke exactly that, then give the daemon's guard a moment to restore it.
    const passerby = uniqueAppId('passerby');
    await daemon.cliJson(['install', manifest(passerby, [])]);
    await daemon.cliJson(['remove', passerby, '--purge', '--yes']);
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    // The stranger shares no network: neither the name nor the provider's address works.
    const providerIp = JSON.parse(await podman(['inspect', `archy-${provider}`]))[0].NetworkSettings.Networks[
      `archy-${provider}`
    ].IPAddress as string;
    expect(await fetchFrom(`archy-${stranger}`, `http://${iface}:8080/`)).toBeUndefined();
    expect(providerIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const viaIp = await fetchFrom(`archy-${stranger}`, `http://${providerIp}:8080/`);
    expect(viaIp, `the stranger reached ${providerIp}: ${viaIp}`).toBeUndefined();

    // Stopping or removing the provider is refused while the consumer runs...
    const refused = await daemon.cli(['stop', provider]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(consumer);
    expect(refused.stderr).toContain('--cascade');
    const refusedRemove = await daemon.cli(['remove', provider]);
    expect(refusedRemove.code).not.toBe(0);
    expect((await daemon.cliJson<AppStatus>(['status', provider])).state).toBe('running');

    // ...and --cascade stops the consumer first.
    await daemon.cliJson(['stop', provider, '--cascade']);
    expect((await daemon.cliJson<AppStatus>(['status', consumer])).state).toBe('stopped');
    expect((await daemon.cliJson<AppStatus>(['status', provider])).state).toBe('stopped');

    // Starting the consumer starts the provider it needs first.
    await daemon.cliJson(['start', consumer]);
    expect((await daemon.cliJson<AppStatus>(['status', provider])).state).toBe('running');
    expect(await fetchFrom(`archy-${consumer}`, `http://${iface}:8080/`)).toContain('hello from 1.0.0');

    for (const id of [consumer, stranger, provider]) await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('refuses a missing provider, naming it, and leaves nothing', async () => {
    const lonely = uniqueAppId('lonely');
    const result = await daemon.cli([
      'install',
      manifest(lonely, ['dependencies:', `  - { id: nothing-${iface} }`]),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`nothing-${iface}`);
    await expectNothingLeft(daemon, lonely);
  });

  it('never runs two conflicting apps: the second is refused while the first runs', async () => {
    const first = uniqueAppId('core-like');
    const second = uniqueAppId('knots-like');
    await daemon.cliJson(['install', manifest(first, [])]);
    const result = await daemon.cli(['install', manifest(second, [`conflicts: [${first}]`])]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`stop ${first}`));
    await expectNothingLeft(daemon, second);

    // Stopped, the first no longer blocks the second; but it can't start while the second runs.
    await daemon.cliJson(['stop', first]);
    await daemon.cliJson(['install', manifest(second, [`conflicts: [${first}]`])]);
    const start = await daemon.cli(['start', first]);
    expect(start.code).not.toBe(0);
    expect((await daemon.cliJson<AppStatus>(['status', first])).state).toBe('stopped');
    for (const id of [first, second]) await daemon.cli(['remove', id, '--purge', '--yes']);
  });
});
