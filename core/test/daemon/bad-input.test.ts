import { createServer, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashImage, freePort, registry, tempDataDir, uniqueAppId } from '../support/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { expectNothingLeft } from './leftovers.js';
import { writeHelloManifest } from './manifests.js';

/** Every refusal: a one-line reason on stderr, a non-zero exit, and nothing left behind. */
describe('bad input is refused cleanly', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('bad-input');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  async function expectRefused(args: string[], pattern: RegExp): Promise<string> {
    const result = await daemon.cli(args);
    expect(result.code, `archy ${args.join(' ')} should fail; stdout: ${result.stdout}`).not.toBe(0);
    expect(result.stderr.trim().split('\n'), 'exactly one line on stderr').toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
    return result.stderr;
  }

  it('malformed YAML names file:line:col', async () => {
    const file = join(dir, 'broken.yml');
    writeFileSync(file, 'id: broken\nname: [unclosed\nversion: "1"\n');
    await expectRefused(['install', file], /broken\.yml:\d+:\d+/);
    const list = await daemon.cliJson<unknown[]>(['list']);
    expect(list).toEqual([]);
  });

  it('an unknown (mistyped) field names the field, its position and the likely key', async () => {
    const id = uniqueAppId('typo');
    const file = writeHelloManifest(dir, { id, hostPort: await freePort() });
    writeFileSync(file, `${await readText(file)}imgae: something\n`);
    const stderr = await expectRefused(['install', file], /imgae/);
    expect(stderr).toMatch(/\.yml:\d+:\d+/);
    expect(stderr).toMatch(/did you mean 'image'/);
    await expectNothingLeft(daemon, id);
  });

  it('bad ids are refused before anything happens', async () => {
    for (const badId of ['../etc', 'Hello', 'a/b', 'x'.repeat(64)]) {
      const file = join(dir, 'badid.yml');
      writeFileSync(
        file,
        `id: "${badId}"\nname: Bad\nversion: "1.0.0"\nimage: ${registry()}/archy-test/hello:1.0.0\n`,
      );
      await expectRefused(['install', file], /id/);
    }
    await expectRefused(['install', '../etc'], /cannot read manifest \.\.\/etc/);
    await expectRefused(['install', 'Hello'], /app id|id:/i);
    await expectRefused(['status', 'NoSuchApp'], /id|not installed/i);
  });

  it('a missing image is refused and leaves nothing', async () => {
    const id = uniqueAppId('noimage');
    const file = writeHelloManifest(dir, {
      id,
      hostPort: await freePort(),
      image: `${registry()}/archy-test/does-not-exist:9.9.9`,
      version: '9.9.9',
    });
    await expectRefused(['install', file], /could not pull .*does-not-exist/);
    await expectNothingLeft(daemon, id);
  });

  it('an unreachable registry is refused and leaves nothing', async () => {
    const id = uniqueAppId('noregistry');
    const closedPort = await freePort();
    const file = writeHelloManifest(dir, {
      id,
      hostPort: await freePort(),
      image: `127.0.0.1:${closedPort}/archy-test/hello:1.0.0`,
    });
    const refused = await daemon.cli(['install', file]);
    expect(refused.code).not.toBe(0);
    // Not one of the development registries allowed to serve unsigned images: the signature
    // check refuses it before any pull is tried.
    expect(refused.stderr).toMatch(
      new RegExp(`no trusted signing keys are configured for 127\\.0\\.0\\.1:${closedPort}/archy-test/hello`),
    );
    await expectNothingLeft(daemon, id);
  });

  it('a host port already taken is refused before pulling, and leaves nothing', async () => {
    const id = uniqueAppId('porttaken');
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '0.0.0.0', resolve));
    try {
      const file = writeHelloManifest(dir, { id, hostPort: port });
      await expectRefused(['install', file], new RegExp(`port ${port}.*already in use`));
      await expectNothingLeft(daemon, id);
    } finally {
      blocker.close();
    }
  });

  it('a host port used by another app is refused, naming that app', async () => {
    const first = uniqueAppId('portowner');
    const second = uniqueAppId('portthief');
    const port = await freePort();
    await daemon.cliJson(['install', writeHelloManifest(dir, { id: first, hostPort: port })]);
    try {
      await expectRefused(
        ['install', writeHelloManifest(dir, { id: second, hostPort: port })],
        new RegExp(`used by app '${first}'`),
      );
      await expectNothingLeft(daemon, second);
    } finally {
      await daemon.cli(['remove', first, '--purge', '--yes']);
    }
  });

  it('installing an installed app again is refused and leaves the first untouched', async () => {
    const id = uniqueAppId('twice');
    const file = writeHelloManifest(dir, { id, hostPort: await freePort() });
    const first = await daemon.cliJson<{ containerId: string }>(['install', file]);
    await expectRefused(['install', file], /already installed/);
    const after = await daemon.cliJson<{ containerId: string; state: string }>(['status', id]);
    expect(after.containerId).toBe(first.containerId);
    expect(after.state).toBe('running');
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('a container that exits at once fails the install with its exit code and output, and leaves nothing', async () => {
    const id = uniqueAppId('crash');
    const file = join(dir, `${id}.yml`);
    writeFileSync(
      file,
      `id: ${id}\nname: Crash\nversion: "1.0.0"\nimage: ${crashImage()}\nvolumes:\n  - mount: /data\n`,
    );
    const stderr = await expectRefused(['install', file], /exited with status 3/);
    expect(stderr).toContain('exiting with status 3 on purpose');
    await expectNothingLeft(daemon, id);
  });

  it('an install the host has no memory for is refused with the numbers, and leaves nothing', async () => {
    const id = uniqueAppId('hungry');
    const file = writeHelloManifest(dir, {
      id,
      hostPort: await freePort(),
      extra: 'resources: { memory: 64T, memoryReservation: 32T }',
    });
    await expectRefused(['install', file], new RegExp(`not enough memory for ${id}: it reserves 32\\.0 TiB`));
    await expectNothingLeft(daemon, id);
    const report = await daemon.cliJson<{ capacity: { memoryBytes: number }; apps: unknown[] }>([
      'resources',
    ]);
    expect(report.capacity.memoryBytes).toBeGreaterThan(0);
  });

  it('unknown commands and apps get a clear error', async () => {
    await expectRefused(['start', uniqueAppId('ghost')], /not installed/);
    const unknown = await daemon.cli(['frobnicate']);
    expect(unknown.code).not.toBe(0);
  });
});

async function readText(file: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(file, 'utf8');
}
