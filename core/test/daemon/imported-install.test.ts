// Installing an imported app (a manifest with `origin:`, as `archy import umbrel` writes it)
// through a real daemon on rootless Podman, with image signatures enforced (the test registry is
// NOT in ARCHY_UNSIGNED_REGISTRIES here) and the hello test image, unsigned, pinned by digest:
// refused without the user's confirmation, with what the app would get and nothing left behind;
// installed with --accept-imported; still running after a restart, a daemon restart and a
// recreate of its containers (the sidecar's image is checked again at each create, trusted from
// the record). The same manifest without origin is refused for lack of a signature, and an
// imported image without a digest is refused even when confirmed.

import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppGrants, AppStatus, InstallPlanView } from '../../src/api/contract.js';
import { generateSigningKeyPair, RegistryClient } from '../../src/security/image-signing/index.js';
import {
  freePort,
  HELLO_REPOSITORY,
  helloImage,
  registry,
  tempDataDir,
  uniqueAppId,
  waitFor,
} from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { CLI_PATH, startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { trackProcess } from '../support/test-processes.js';
import { expectNothingLeft } from './leftovers.js';

const ORIGIN = ['origin:', '  kind: umbrel', '  app: hello-upstream', '  upstreamVersion: "1.2.3"'];

/** Two services of one image (the main serves 8080 on a host port; the sidecar idles), and a volume. */
function importedManifest(
  dir: string,
  options: { id: string; image: string; hostPort: number; origin?: boolean },
): string {
  const yaml = [
    `id: ${options.id}`,
    `name: Imported ${options.id}`,
    'version: "1.0.0"',
    'main: web',
    ...(options.origin === false ? [] : ORIGIN),
    'services:',
    '  web:',
    `    image: ${options.image}`,
    '    command: ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /www"]',
    `    ports: [{ container: 8080, host: ${options.hostPort}, expose: local }]`,
    '    volumes: [{ mount: /data, name: data }]',
    '    health: { http: { port: 8080, path: / }, interval: 1s }',
    '    stopTimeout: 2s',
    '  sidecar:',
    `    image: ${options.image}`,
    '    command: ["/bin/sh", "-c", "exec sleep 100000"]',
    '    stopTimeout: 1s',
    '',
  ].join('\n');
  const path = join(dir, `${options.id}.yml`);
  writeFileSync(path, yaml);
  return path;
}

async function rpc<T>(
  daemon: TestDaemon,
  method: string,
  params: unknown,
): Promise<{ result?: T; error?: { code: number; message: string; data?: unknown } }> {
  const token = readFileSync(join(daemon.dataDir, '.cookie'), 'utf8').trim();
  const response = await fetch(`${daemon.url}/rpc/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await response.json()) as { result?: T; error?: { code: number; message: string; data?: unknown } };
}

const imageOf = async (container: string): Promise<string> =>
  (await podman(['inspect', '--format', '{{.ImageName}}', container])).trim();

describe('an imported app installs only on confirmation, and runs exactly the digests confirmed', () => {
  let daemon: TestDaemon | undefined;
  let dir: string;
  let pinned: string;
  const id = uniqueAppId('imported');

  const start = async () => {
    daemon = await startDaemon({ dataDir: dir, env: { ARCHY_UNSIGNED_REGISTRIES: '' } });
    return daemon;
  };

  beforeAll(async () => {
    dir = tempDataDir('imported');
    // The node trusts a publisher's key (that signed nothing here): unsigned images are refused as such.
    const publisher = await generateSigningKeyPair(join(tempDataDir('imported-keys'), 'publisher'));
    mkdirSync(join(dir, 'trust', 'image-keys'), { recursive: true });
    copyFileSync(publisher.publicKeyPath, join(dir, 'trust', 'image-keys', 'publisher.pub'));
    const client = new RegistryClient({ registry: registry(), insecure: true });
    pinned = `${helloImage('1.0.0')}@${await client.resolveDigest(HELLO_REPOSITORY, '1.0.0')}`;
    await start();
  });
  afterAll(async () => {
    if (daemon) {
      await daemon.cli(['remove', id, '--purge', '--yes']);
      await daemon.stop();
    }
  });

  it('refuses the install without confirmation, saying what the app would get, and leaves nothing', async () => {
    const d = daemon!;
    const file = importedManifest(dir, { id, image: pinned, hostPort: await freePort() });
    // The CLI's stdin is not a terminal here: no question, the daemon's refusal, exit 1.
    const result = await d.cli(['install', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${id} is imported from Umbrel app hello-upstream 1.2.3 and is not signed by the Archipelago catalog; it would get: service web: image ${pinned} (pinned by digest, not signed by the catalog)`,
    );
    expect(result.stderr).toMatch(/host port \d+\/tcp → 8080 \(this machine only\)/);
    expect(result.stderr).toContain('Install with --accept-imported (RPC confirmImported: true) to accept');
    await expectNothingLeft(d, id);
    expect(await podman(['secret', 'ls', '--format', '{{.Name}}'])).not.toContain(id);

    // Over RPC: a Conflict whose data is the grants.
    const refused = await rpc(d, 'container-install', {
      manifest: readFileSync(file, 'utf8'),
      manifestFile: file,
    });
    expect(refused.error?.code).toBe(-32003);
    const grants = (refused.error?.data as { imported: AppGrants }).imported;
    expect(grants.origin).toEqual({ kind: 'umbrel', app: 'hello-upstream', upstreamVersion: '1.2.3' });
    expect(grants.services.map((s) => [s.service, s.trust, s.ports.map((p) => p.expose)])).toEqual([
      ['web', 'digest', ['local']],
      ['sidecar', 'digest', []],
    ]);
    await expectNothingLeft(d, id);
  });

  it('asks at a terminal, and installs nothing when the answer is not yes', async () => {
    const d = daemon!;
    const asked = uniqueAppId('imported-asked');
    const file = importedManifest(dir, { id: asked, image: pinned, hostPort: await freePort() });
    // `script` gives the CLI a terminal; the test answers "n" once it sees the question.
    const command = [process.execPath, CLI_PATH, 'install', file].map((arg) => `'${arg}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, ARCHY_DATA_DIR: d.dataDir, ARCHY_URL: d.url },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackProcess(child, `script archy install ${file}`);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const before = output;
      output += chunk.toString();
      if (!before.includes('Install? [y/N]') && output.includes('Install? [y/N]')) child.stdin.write('n\n');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    expect(output).toContain(
      `${asked} is imported from Umbrel app hello-upstream (upstream 1.2.3); not signed by the Archipelago catalog. It would get:`,
    );
    expect(output).toContain(`not installed: ${asked} was not accepted`);
    expect(code).toBe(1);
    await expectNothingLeft(d, asked);
  });

  it('plans it (dry run and package.plan-install of the manifest) with the grants, changing nothing', async () => {
    const d = daemon!;
    const file = join(dir, `${id}.yml`);
    const dry = await d.cli(['install', file, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      `${id} is imported from Umbrel app hello-upstream (upstream 1.2.3); not signed by the Archipelago catalog. It would get:`,
    );
    expect(dry.stdout).toContain('installing it needs your confirmation (or --accept-imported)');
    const plan = await rpc<InstallPlanView>(d, 'package.plan-install', {
      manifest: readFileSync(file, 'utf8'),
      manifestFile: file,
    });
    expect(plan.result?.grants.services[0]?.image).toBe(pinned);
    await expectNothingLeft(d, id);
  });

  it('installs it with --accept-imported: both containers run the confirmed digest, the record keeps it', async () => {
    const d = daemon!;
    const status = await d.cliJson<AppStatus>(['install', join(dir, `${id}.yml`), '--accept-imported']);
    expect(status.state).toBe('running');
    expect(status.origin).toEqual({ kind: 'umbrel', app: 'hello-upstream', upstreamVersion: '1.2.3' });
    const byDigest = pinned.replace(/:1\.0\.0@/, '@');
    expect(await imageOf(`archy-${id}`)).toBe(byDigest);
    expect(await imageOf(`archy-${id}_sidecar`)).toBe(byDigest);
    const record = JSON.parse(readFileSync(join(dir, 'state', 'apps', `${id}.json`), 'utf8')) as {
      imported?: { images: string[]; confirmedAt: string };
    };
    expect(record.imported?.images).toEqual([pinned]);
    const text = await d.cli(['status', id]);
    expect(text.stdout).toMatch(
      /origin: +imported from Umbrel app hello-upstream \(upstream 1\.2\.3\); not signed by the Archipelago catalog/,
    );
    // The web UI's details page shows what it was granted, from the status.
    expect(status.grants?.services.map((s) => [s.service, s.trust])).toEqual([
      ['web', 'digest'],
      ['sidecar', 'digest'],
    ]);
    const list = await d.cliJson<AppStatus[]>(['list']);
    expect(list.find((app) => app.id === id)?.origin?.app).toBe('hello-upstream');
  });

  it('keeps running it from the record: an app restart, a daemon restart, containers recreated', async () => {
    let d = daemon!;
    await d.cliJson<AppStatus>(['restart', id]);
    await waitFor(async () => (await d.cliJson<AppStatus>(['status', id])).state === 'running', {
      what: `${id} running after its restart`,
      timeoutMs: 30_000,
      intervalMs: 300,
    });
    await d.stop();
    daemon = undefined;
    // Both containers gone while the daemon is down: the boot (or the start) recreates them, the
    // sidecar's image checked again — trusted only because the record holds the confirmation.
    await podman(['rm', '-f', '-t', '0', `archy-${id}`, `archy-${id}_sidecar`]);
    d = await start();
    await waitFor(
      async () => {
        const status = await d.cliJson<AppStatus>(['status', id]);
        if (status.state === 'failed') await d.cli(['start', id]);
        return status.state === 'running' && status.services.every((s) => s.state === 'running');
      },
      { what: `${id} running again after the daemon restart`, timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(await imageOf(`archy-${id}_sidecar`)).toBe(pinned.replace(/:1\.0\.0@/, '@'));
    expect(d.log()).toMatch(/running the digest-pinned image the user confirmed at install/);
  });

  it('refuses the same manifest without origin (a signature is needed), and leaves nothing', async () => {
    const d = daemon!;
    const plain = uniqueAppId('not-imported');
    const file = importedManifest(dir, {
      id: plain,
      image: pinned,
      hostPort: await freePort(),
      origin: false,
    });
    const result = await d.cli(['install', file, '--accept-imported']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not signed/);
    await expectNothingLeft(d, plain);
  });

  it('refuses an imported image without a digest even when confirmed, and leaves nothing', async () => {
    const d = daemon!;
    const tagged = uniqueAppId('imported-tag');
    const file = importedManifest(dir, {
      id: tagged,
      image: helloImage('1.0.0'),
      hostPort: await freePort(),
    });
    const result = await d.cli(['install', file, '--accept-imported']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not signed/);
    await expectNothingLeft(d, tagged);
  });
});
