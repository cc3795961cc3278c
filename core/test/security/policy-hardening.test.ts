// What the container policy gives a real app's container, seen from Podman and from inside;
// and the volume-dir check against real symlinks on disk.

import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/index.js';
import { DataLayout } from '../../src/layout/index.js';
import type { DaemonInfo } from '../../src/api/rpc-methods.js';
import { assertVolumeDirsSafe, detectHostConfinement } from '../../src/security/policy/index.js';
import { expectNothingLeft } from '../daemon/leftovers.js';
import { writeHelloManifest } from '../daemon/manifests.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { freePort, helloImage, httpGet, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman, podmanJson } from '../support/podman-cli.js';

interface Inspect {
  HostConfig: {
    CapDrop?: string[];
    CapAdd?: string[];
    ReadonlyRootfs: boolean;
    SecurityOpt?: string[];
    Privileged: boolean;
  };
  Mounts: Array<{ Type: string; Destination: string; Source: string }>;
}

describe('a hardened app container', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('policy-hardening');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('drops every capability, forbids new privileges, keeps its root read-only, and still serves', async () => {
    const id = uniqueAppId('hardened');
    const port = await freePort();
    await daemon.cliJson(['install', writeHelloManifest(dir, { id, hostPort: port })]);
    try {
      const body = await waitFor(async () => (await httpGet(`http://127.0.0.1:${port}/`)).body, {
        what: 'the hardened app to answer',
      });
      expect(body).toContain('hello');

      const [inspect] = await podmanJson<Inspect[]>(['container', 'inspect', `archy-${id}`]);
      expect(inspect!.HostConfig.Privileged).toBe(false);
      expect(inspect!.HostConfig.ReadonlyRootfs).toBe(true);
      expect(inspect!.HostConfig.SecurityOpt ?? []).toContain('no-new-privileges');
      expect(inspect!.HostConfig.SecurityOpt ?? []).not.toContain('seccomp=unconfined');

      // Inside: no effective or bounding capabilities, NoNewPrivs set.
      const status = await podman(['exec', `archy-${id}`, 'cat', '/proc/self/status']);
      expect(status).toMatch(/^CapEff:\s+0+$/m);
      expect(status).toMatch(/^CapBnd:\s+0+$/m);
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(status).toMatch(/^Seccomp:\s+2$/m);
      // Neither the manifest nor the hello image names a user: the policy's non-root default.
      expect(status).toMatch(/^Uid:\s+1000\s+1000\s/m);
      expect(status).toMatch(/^Gid:\s+1000\s+1000\s/m);

      // The image is read-only; the app's volume and scratch tmpfs are not.
      const write = (path: string) =>
        podman(['exec', `archy-${id}`, 'sh', '-c', `echo x > ${path} && echo wrote`]).catch(
          (error: Error) => error.message,
        );
      expect(await write('/www/defaced.html')).toMatch(/Read-only file system/);
      expect(await write('/etc/passwd')).toMatch(/Read-only file system/);
      expect(await write('/data/ok')).toContain('wrote');
      expect(await write('/tmp/ok')).toContain('wrote');
      expect(await write('/run/ok')).toContain('wrote');
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  });
});

/**
 * An app running as a non-root user owns its volume as a sub-uid of the daemon's user (`:U`), and
 * a folder it keeps private (0700) cannot even be listed by the daemon. Purge and rollback must
 * still delete it all: the daemon removes such trees in the rootless user namespace.
 */
describe("a non-root app's private files", () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('policy-subuid');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  /** A hello app running as 1000:1000 that writes a private folder into its volume, then `then`. */
  function manifest(id: string, then: string, hostPort?: number): string {
    const file = join(dir, `${id}.yml`);
    writeFileSync(
      file,
      [
        `id: ${id}`,
        `name: ${id}`,
        'version: "1.0.0"',
        `image: ${helloImage('1.0.0')}`,
        'command: ["/bin/sh", "-c", "mkdir -p /data/private && echo s > /data/private/secret && ' +
          `chmod 600 /data/private/secret && chmod 700 /data/private /data && ${then}"]`,
        ...(hostPort ? ['ports:', `  - { container: 8080, host: ${hostPort} }`] : []),
        'volumes:',
        '  - mount: /data',
        'security:',
        '  user: "1000:1000"',
        'stopTimeout: 2s',
        '',
      ].join('\n'),
    );
    return file;
  }

  /** The daemon's user cannot list the volume: the test below would pass without the fix otherwise. */
  const expectNotListable = (id: string) =>
    expect(() => readdirSync(join(dir, 'apps', id, 'data'))).toThrow(/EACCES/);

  it('are deleted by remove --purge', async () => {
    const id = uniqueAppId('subuid-purge');
    const port = await freePort();
    await daemon.cliJson(['install', manifest(id, 'exec httpd -f -p 8080 -h /www', port)]);
    await waitFor(async () => (await httpGet(`http://127.0.0.1:${port}/`)).status === 200, {
      what: 'the non-root app to serve',
    });
    expectNotListable(id);
    const removed = await daemon.cli(['remove', id, '--purge', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(join(dir, 'apps', id)), 'data dir left behind').toBe(false);
  });

  it('are deleted when a failed install rolls back', async () => {
    const id = uniqueAppId('subuid-rollback');
    const result = await daemon.cli(['install', manifest(id, 'exit 3')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/status 3/);
    await expectNothingLeft(daemon, id);
  });
});

describe('assertVolumeDirsSafe', () => {
  const root = tempDataDir('volume-dirs');
  const layout = new DataLayout(root);
  const manifestFor = (id: string) =>
    parseManifest(
      `id: ${id}\nname: V\nversion: "1.0.0"\nimage: 127.0.0.1:5000/archy-test/hello:1.0.0\nvolumes:\n  - mount: /data\n  - { mount: /config, name: conf }\n`,
      `${id}.yml`,
    );

  it('accepts dirs that do not exist yet, and real folders inside the app dir', async () => {
    await expect(assertVolumeDirsSafe(layout, manifestFor('fresh'))).resolves.toBeUndefined();
    mkdirSync(join(root, 'apps', 'kept', 'data'), { recursive: true });
    await expect(assertVolumeDirsSafe(layout, manifestFor('kept'))).resolves.toBeUndefined();
  });

  it('refuses a volume that is a symlink to /etc, naming the volume and leaving the link alone', async () => {
    mkdirSync(join(root, 'apps', 'etclink'), { recursive: true });
    symlinkSync('/etc', join(root, 'apps', 'etclink', 'data'));
    await expect(assertVolumeDirsSafe(layout, manifestFor('etclink'))).rejects.toThrow(
      /volumes\[0\] \('\/data'.*is a symlink to \/etc; a volume must be a real folder/,
    );
    expect(readlinkSync(join(root, 'apps', 'etclink', 'data'))).toBe('/etc');
  });

  it("refuses a symlink to another app's folder, even inside the data dir", async () => {
    mkdirSync(join(root, 'apps', 'victim', 'data'), { recursive: true });
    mkdirSync(join(root, 'apps', 'thief'), { recursive: true });
    symlinkSync('../victim/data', join(root, 'apps', 'thief', 'conf'));
    await expect(assertVolumeDirsSafe(layout, manifestFor('thief'))).rejects.toThrow(/volumes\[1\].*symlink/);
  });

  it('refuses an app data dir that is itself a symlink, and a volume that is a file', async () => {
    symlinkSync('/etc', join(root, 'apps', 'linked'));
    await expect(assertVolumeDirsSafe(layout, manifestFor('linked'))).rejects.toThrow(
      /the data dir of 'linked'.*is a symlink to \/etc/,
    );
    mkdirSync(join(root, 'apps', 'filevol'), { recursive: true });
    writeFileSync(join(root, 'apps', 'filevol', 'data'), 'not a folder');
    await expect(assertVolumeDirsSafe(layout, manifestFor('filevol'))).rejects.toThrow(
      /volumes\[0\].*is not a folder/,
    );
  });

  it('accepts a data dir that is reached through a symlink (e.g. moved to another disk)', async () => {
    const moved = tempDataDir('moved');
    mkdirSync(join(moved, 'apps', 'app', 'data'), { recursive: true });
    const linkedRoot = join(tempDataDir('link'), 'data-dir');
    symlinkSync(moved, linkedRoot);
    await expect(
      assertVolumeDirsSafe(new DataLayout(linkedRoot), manifestFor('app')),
    ).resolves.toBeUndefined();
  });
});

describe('a volume planted as a symlink before install', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('policy-symlink');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('is refused: nothing is created, /etc is not touched, the link is left as found', async () => {
    const id = uniqueAppId('planted');
    mkdirSync(join(dir, 'apps', id), { recursive: true, mode: 0o700 });
    symlinkSync('/etc', join(dir, 'apps', id, 'data'));
    const etcBefore = statSync('/etc');
    const result = await daemon.cli(['install', writeHelloManifest(dir, { id, hostPort: await freePort() })]);
    expect(result.code, `install over a planted symlink should fail; stdout: ${result.stdout}`).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    // The daemon's own refusal, before anything is mounted (not Podman failing to chown /etc).
    expect(result.stderr).toMatch(
      /volumes\[0\] \('\/data'.*is a symlink to \/etc; a volume must be a real folder.*move it away/,
    );
    const etcAfter = statSync('/etc');
    expect([etcAfter.uid, etcAfter.gid, etcAfter.mode]).toEqual([
      etcBefore.uid,
      etcBefore.gid,
      etcBefore.mode,
    ]);
    // Nothing half-done: the folder the user had is left as found (only the link in it), and
    // there is no container, network or record.
    expect(lstatSync(join(dir, 'apps', id, 'data')).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(dir, 'apps', id))).toEqual(['data']);
    await expectNoAppTrace(id);
  });

  it('is refused when a start recreates the container: no container is made, the link is left alone', async () => {
    const id = uniqueAppId('relinked');
    await daemon.cliJson(['install', writeHelloManifest(dir, { id, hostPort: await freePort() })]);
    await daemon.cliJson(['stop', id]);
    // The container is lost (say, a podman system reset) and the volume is swapped for a link.
    await podman(['rm', '--force', `archy-${id}`]);
    await waitFor(
      async () => (await daemon.cliJson<{ containerId?: string }>(['status', id])).containerId === undefined,
      { what: 'the daemon to see the container gone' },
    );
    renameSync(join(dir, 'apps', id, 'data'), join(dir, 'apps', id, 'data.orig'));
    symlinkSync('/etc', join(dir, 'apps', id, 'data'));
    const etcBefore = statSync('/etc');

    const result = await daemon.cli(['start', id]);
    expect(result.code, `start over a planted symlink should fail; stdout: ${result.stdout}`).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/volumes\[0\] \('\/data'.*is a symlink to \/etc/);
    const etcAfter = statSync('/etc');
    expect([etcAfter.uid, etcAfter.gid, etcAfter.mode]).toEqual([
      etcBefore.uid,
      etcBefore.gid,
      etcBefore.mode,
    ]);
    expect(readlinkSync(join(dir, 'apps', id, 'data'))).toBe('/etc');
    expect(
      (await podman(['ps', '-a', '--filter', `name=^archy-${id}$`, '--format', '{{.Names}}'])).trim(),
    ).toBe('');
    // Asked to run and refused: failed, with no container, until the user moves the link away.
    expect((await daemon.cliJson<{ state: string }>(['status', id])).state).toBe('failed');

    // Moved back, the app starts again: the refusal changed nothing else.
    renameSync(join(dir, 'apps', id, 'data'), join(dir, 'apps', id, 'data.link'));
    renameSync(join(dir, 'apps', id, 'data.orig'), join(dir, 'apps', id, 'data'));
    expect((await daemon.cliJson<{ state: string }>(['start', id])).state).toBe('running');
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  async function expectNoAppTrace(id: string): Promise<void> {
    expect(
      (await podman(['ps', '-a', '--filter', `name=^archy-${id}$`, '--format', '{{.Names}}'])).trim(),
    ).toBe('');
    expect(
      (await podman(['network', 'ls', '--filter', `name=^archy-${id}$`, '--format', '{{.Name}}'])).trim(),
    ).toBe('');
    expect(existsSync(join(dir, 'state', 'apps', `${id}.json`)), 'app record left behind').toBe(false);
    const list = await daemon.cliJson<{ id: string }[]>(['list']);
    expect(list.map((app) => app.id)).not.toContain(id);
  }
});

describe('host confinement on this machine', () => {
  it('is detected without errors, and says why AppArmor is not used when it is not', async () => {
    const confinement = await detectHostConfinement({ rootless: true });
    if (!confinement.apparmor.usable) {
      expect(confinement.warnings.join('\n')).toMatch(/AppArmor/);
      expect(confinement.apparmor.profileFor('hello')).toBeUndefined();
    }
  });

  it('is reported by the daemon (daemon-info) and logged once at start', async () => {
    const daemon = await startDaemon({ dataDir: tempDataDir('policy-confinement') });
    try {
      const token = readFileSync(join(daemon.dataDir, '.cookie'), 'utf8').trim();
      const response = await fetch(`${daemon.url}/rpc/v1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'daemon-info' }),
      });
      const { result } = (await response.json()) as { result: DaemonInfo };
      // What this host is, read here independently of the daemon.
      const kernelAppArmor = (() => {
        try {
          return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim().startsWith('Y');
        } catch {
          return false;
        }
      })();
      // The daemon runs rootless (it refuses otherwise), and rootless Podman applies no profile.
      expect(result.podman.rootless).toBe(true);
      expect(result.confinement.apparmor).toBe(false);
      expect(result.confinement.applied).toMatch(/^capabilities dropped, no-new-privileges.*no AppArmor/);
      expect(result.confinement.notes.join('\n')).toMatch(
        kernelAppArmor ? /rootless Podman does not apply AppArmor profiles/ : /the kernel has it off/,
      );
      const logged = daemon
        .log()
        .split('\n')
        .filter((line) => line.includes('app confinement: '));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain(result.confinement.applied);
    } finally {
      await daemon.stop();
    }
  });
});
