import { createServer, request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodmanError, type PullProgressUpdate } from '../../src/podman/index.js';
import { podman } from '../support/podman-cli.js';
import {
  freePort,
  helloImage,
  registry,
  startTestPodman,
  testRunId,
  type TestPodman,
} from '../support/index.js';

let pm: TestPodman;
let throttle: { server: Server; host: string } | undefined;

beforeAll(async () => {
  // A proxy that slows blob downloads, so Podman (which reports bytes once a second) has
  // byte-level progress to report; it is registered as insecure with the service.
  const port = await freePort();
  throttle = { server: slowProxy(port, registry(), 4_000_000), host: `127.0.0.1:${port}` };
  pm = await startTestPodman({ insecureRegistries: [throttle.host] });
});

afterAll(async () => {
  await pm?.stop();
  throttle?.server.close();
});

describe('podman system', () => {
  it('answers ping and reports rootless info', async () => {
    await pm.client.ping();
    const info = await pm.client.info();
    expect(info.rootless).toBe(true);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.networkBackend).toBe('netavark');
    expect(info.memTotal).toBeGreaterThan(0);
    expect(['v1', 'v2']).toContain(info.cgroupVersion);
    if (info.cgroupVersion === 'v1') expect(info.limitsEnforced.memory).toBe(false);
  });
});

describe('image pulls', () => {
  it('pulls from the plain-HTTP test registry and returns the image id', async () => {
    const ref = await privateCopy(helloImage('1.1.0'), 'pull');
    expect(await pm.client.imageExists(ref)).toBe(false);
    expect(await pm.client.inspectImage(ref)).toBeUndefined();
    const updates: PullProgressUpdate[] = [];
    const id = await pm.client.pullImage(ref, { tlsVerify: false, onProgress: (p) => updates.push(p) });
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await pm.client.imageExists(ref)).toBe(true);
    expect((await pm.client.inspectImage(ref))?.Id).toBe(id);
    const last = updates.at(-1)!;
    expect(last.byteLevel).toBe(true);
    expect(last.layersDone).toBe(last.layersTotal);
    expect(last.layersTotal).toBeGreaterThanOrEqual(1);
    await pm.client.removeImage(ref);
  });

  it('reports byte-level progress that grows to the layer size', async () => {
    const ref = `${registry()}/archy-test/pull/big-${testRunId()}:1`;
    const slowRef = `${throttle!.host}/archy-test/pull/big-${testRunId()}:1`;
    await buildBigImage(ref, 12_000_000);
    await pm.client.removeImage(slowRef, { force: true });
    const updates: PullProgressUpdate[] = [];
    await pm.client.pullImage(slowRef, { tlsVerify: false, onProgress: (p) => updates.push(p) });
    const withBytes = updates.filter((u) => u.completedBytes > 0 && u.completedBytes < u.totalBytes);
    expect(withBytes.length, JSON.stringify(updates)).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < updates.length; i++) {
      expect(updates[i]!.completedBytes).toBeGreaterThanOrEqual(updates[i - 1]!.completedBytes);
    }
    const last = updates.at(-1)!;
    // The random payload does not compress: the layer is a little over 12 MB.
    expect(last.totalBytes).toBeGreaterThan(12_000_000);
    expect(last.totalBytes).toBeLessThan(12_200_000);
    expect(last.completedBytes).toBe(last.totalBytes);
    await pm.client.removeImage(slowRef, { force: true });
  });

  it('throws a PodmanError with the registry message when the image does not exist', async () => {
    const err = await pm.client
      .pullImage(`${registry()}/archy-test/does-not-exist:9.9.9`, { tlsVerify: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodmanError);
    const pe = err as PodmanError;
    expect(pe.call).toBe('POST /images/create');
    expect(pe.message).toMatch(/manifest unknown|not found|name unknown/i);
  });

  it('can pull over plain HTTP from a registry the service was not told about (coarse progress)', async () => {
    // A second service with no insecure registries: the compat endpoint refuses plain HTTP,
    // so the client falls back to libpod's pull with tlsVerify=false.
    const { startPodmanService, PodmanClient } = await import('../../src/podman/index.js');
    const socketPath = `${pm.socketPath}.plain`;
    const service = await startPodmanService({ socketPath });
    const client = new PodmanClient({ socketPath });
    try {
      const ref = await privateCopy(helloImage('2.0.0'), 'fallback');
      const updates: PullProgressUpdate[] = [];
      const id = await client.pullImage(ref, { tlsVerify: false, onProgress: (p) => updates.push(p) });
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(updates.at(-1)).toMatchObject({ byteLevel: false });
      expect(updates.at(-1)!.layersDone).toBe(updates.at(-1)!.layersTotal);
      // Without tlsVerify=false the same pull is refused: plain HTTP is opt-in.
      await client.removeImage(ref);
      await expect(client.pullImage(ref)).rejects.toThrow(/HTTP response to HTTPS client/);
    } finally {
      await client.close();
      await service.stop();
    }
  });
});

/**
 * Pushes a copy of a shared test image under a name only this run uses and drops it locally,
 * so a test can pull it without removing images other test files rely on.
 */
async function privateCopy(source: string, name: string): Promise<string> {
  const ref = `${registry()}/archy-test/pull/${name}-${testRunId()}:1`;
  await podman(['tag', source, ref]);
  await podman(['push', '--quiet', '--tls-verify=false', ref]);
  await podman(['untag', source, ref]);
  return ref;
}

async function buildBigImage(ref: string, bytes: number): Promise<void> {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { randomBytes } = await import('node:crypto');
  const { join } = await import('node:path');
  const { execFileSync } = await import('node:child_process');
  const { tempDataDir } = await import('../support/index.js');
  const dir = mkdtempSync(join(tempDataDir('big'), 'x'));
  writeFileSync(join(dir, 'payload'), randomBytes(bytes));
  execFileSync('tar', ['-C', dir, '-cf', `${dir}.tar`, 'payload']);
  await podman(['import', `${dir}.tar`, ref]);
  await podman(['push', '--quiet', '--tls-verify=false', ref]);
  await podman(['rmi', ref]);
  rmSync(dir, { recursive: true, force: true });
}

/** Forwards to `target`, pacing response bodies to about `bytesPerSecond`. */
function slowProxy(port: number, target: string, bytesPerSecond: number): Server {
  const [host, targetPort] = target.split(':');
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      { host, port: Number(targetPort), path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => {
          answer.pause();
          res.write(chunk);
          setTimeout(() => answer.resume(), (chunk.length / bytesPerSecond) * 1000);
        });
        answer.on('end', () => res.end());
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.listen(port, '127.0.0.1');
  return server;
}
