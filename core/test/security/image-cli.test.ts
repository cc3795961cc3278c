// `archy image keygen` and `archy image sign`, run as the built CLI against the real test
// registry: keys made by the CLI, signatures written by the CLI, and the daemon's own
// verification deciding whether the signed image runs.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { RegistryClient, signatureTag, type Digest } from '../../src/security/image-signing/index.js';
import { expectNothingLeft } from '../daemon/leftovers.js';
import { writeHelloManifest } from '../daemon/manifests.js';
import { runCli, startDaemon, type CliResult, type TestDaemon } from '../support/daemon-harness.js';
import { freePort, HELLO_REPOSITORY, registry, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { trackProcess } from '../support/test-processes.js';
import { podman } from '../support/podman-cli.js';

/** The CLI with no daemon and no insecure registries in its environment: --insecure-registry says it. */
const archy = (args: string[]): Promise<CliResult> => {
  const env = { ...process.env };
  delete env.ARCHY_INSECURE_REGISTRIES;
  return runCli(args, env);
};

/** A refusal: non-zero exit, one line on stderr matching `pattern`, nothing on stdout. */
function expectRefused(result: CliResult, pattern: RegExp): void {
  expect(result.code, `should fail; stdout: ${result.stdout}`).not.toBe(0);
  expect(result.stderr.trim().split('\n'), 'exactly one line on stderr').toHaveLength(1);
  expect(result.stderr).toMatch(/^archy: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stdout).toBe('');
}

const sharedRegistry = (): RegistryClient => new RegistryClient({ registry: registry(), insecure: true });

/** Copies hello:`tag` byte for byte into `repository` of `client`'s registry, under `tag`; returns its digest. */
async function copyHello(client: RegistryClient, repository: string, tag = '1.0.0'): Promise<Digest> {
  const source = sharedRegistry();
  const manifest = (await source.getManifest(HELLO_REPOSITORY, tag))!;
  const parsed = JSON.parse(manifest.bytes.toString()) as {
    config: { digest: Digest };
    layers: { digest: Digest }[];
  };
  for (const { digest } of [parsed.config, ...parsed.layers]) {
    await client.pushBlob(repository, await source.getBlob(HELLO_REPOSITORY, digest, { maxBytes: 64 << 20 }));
  }
  return client.putManifest(repository, '1.0.0', manifest.bytes, manifest.mediaType);
}

/** A test image of its own, pushed by this test: `registry/archy-test/signing/<unique>:1.0.0`. */
async function pushedImage(name: string): Promise<{ ref: string; digest: Digest }> {
  const repository = `archy-test/signing/${uniqueAppId(name)}`;
  const digest = await copyHello(sharedRegistry(), repository);
  return { ref: `${registry()}/${repository}:1.0.0`, digest };
}

describe('archy image keygen', () => {
  it('writes cosign.key (0600, never printed) and cosign.pub, and refuses to overwrite them', async () => {
    const dir = join(tempDataDir('image-keygen'), 'keys');
    const made = await archy(['image', 'keygen', '--out', dir]);
    expect(made.code, made.stderr).toBe(0);
    const privatePem = readFileSync(join(dir, 'cosign.key'), 'utf8');
    const publicPem = readFileSync(join(dir, 'cosign.pub'), 'utf8');
    expect(statSync(join(dir, 'cosign.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    // Where the key is, never what it is.
    const secretBody = privatePem.split('\n')[1]!;
    expect(made.stdout).toContain(join(dir, 'cosign.key'));
    expect(made.stdout + made.stderr).not.toContain(secretBody);
    const json = await archy(['image', 'keygen', '--out', join(dir, 'second'), '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ keyId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(json.stdout).not.toContain(readFileSync(join(dir, 'second', 'cosign.key'), 'utf8').split('\n')[1]);

    expectRefused(
      await archy(['image', 'keygen', '--out', dir]),
      /cosign\.key already exists.*not overwritten/,
    );
    expect(readFileSync(join(dir, 'cosign.key'), 'utf8')).toBe(privatePem);
    expect(readFileSync(join(dir, 'cosign.pub'), 'utf8')).toBe(publicPem);
    expectRefused(await archy(['image', 'keygen']), /--out <dir>/);
  });
});

describe('archy image sign, verified by a real daemon', () => {
  let daemon: TestDaemon;
  let dir: string;
  let publisherKey: string;
  let strangerKey: string;

  beforeAll(async () => {
    dir = tempDataDir('image-sign');
    const keys = tempDataDir('image-sign-keys');
    for (const who of ['publisher', 'stranger']) {
      const made = await archy(['image', 'keygen', '--out', join(keys, who)]);
      expect(made.code, made.stderr).toBe(0);
    }
    publisherKey = join(keys, 'publisher', 'cosign.key');
    strangerKey = join(keys, 'stranger', 'cosign.key');
    // The node trusts the publisher's public key only, and refuses unsigned images.
    mkdirSync(join(dir, 'trust', 'image-keys'), { recursive: true });
    copyFileSync(join(keys, 'publisher', 'cosign.pub'), join(dir, 'trust', 'image-keys', 'publisher.pub'));
    daemon = await startDaemon({ dataDir: dir, env: { ARCHY_UNSIGNED_REGISTRIES: '' } });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const install = async (id: string, image: string): Promise<CliResult> =>
    daemon.cli(['install', writeHelloManifest(dir, { id, hostPort: await freePort(), image })]);

  it('signs an image the test pushed, prints the digest, and the daemon runs it by that digest', async () => {
    const { ref, digest } = await pushedImage('cli-signed');
    const signed = await archy(['image', 'sign', ref, '--key', publisherKey, '--insecure-registry']);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toContain(digest);
    // The signature is where cosign looks for it.
    const repository = ref.slice(registry().length + 1, ref.lastIndexOf(':'));
    expect(await sharedRegistry().getManifest(repository, signatureTag(digest))).toBeDefined();

    const again = await archy(['image', 'sign', ref, '--key', publisherKey, '--insecure-registry', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ digest, alreadySigned: true, signatureCount: 1 });

    const id = uniqueAppId('cli-signed');
    const result = await install(id, ref);
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse((await daemon.cli(['status', id, '--json'])).stdout) as AppStatus).state).toBe(
      'running',
    );
    const imageName = (await podman(['inspect', '--format', '{{.ImageName}}', `archy-${id}`])).trim();
    expect(imageName).toBe(`${ref.replace(/:1\.0\.0$/, '')}@${digest}`);
    await daemon.cli(['remove', id, '--purge', '--yes']);
  });

  it('an image signed with another key is refused by the daemon, leaving nothing', async () => {
    const { ref, digest } = await pushedImage('cli-stranger');
    const signed = await archy(['image', 'sign', ref, '--key', strangerKey, '--insecure-registry']);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toContain(digest);
    const id = uniqueAppId('cli-stranger');
    const result = await install(id, ref);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not by a trusted key/);
    await expectNothingLeft(daemon, id);
  });

  it('a tag moved to other content after signing is refused by the daemon', async () => {
    const { ref } = await pushedImage('cli-moved');
    expect((await archy(['image', 'sign', ref, '--key', publisherKey, '--insecure-registry'])).code).toBe(0);
    // Someone with push access re-points the signed tag at other bytes (hello 1.1.0).
    const repository = ref.slice(registry().length + 1, ref.lastIndexOf(':'));
    await copyHello(sharedRegistry(), repository, '1.1.0');
    const id = uniqueAppId('cli-moved');
    const result = await install(id, ref);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not signed/);
    await expectNothingLeft(daemon, id);
  });
});

describe('archy image sign refuses bad input with one line and writes nothing', () => {
  let keys: string;
  let image: { ref: string; digest: Digest };
  const signatureOf = (ref: string, digest: Digest) =>
    sharedRegistry().getManifest(
      ref.slice(registry().length + 1, ref.lastIndexOf(':')),
      signatureTag(digest),
    );

  beforeAll(async () => {
    keys = tempDataDir('image-sign-bad');
    expect((await archy(['image', 'keygen', '--out', join(keys, 'good')])).code).toBe(0);
    image = await pushedImage('cli-bad');
  });

  it('a missing, world-readable, encrypted or non-P-256 key', async () => {
    const sign = (key: string) => archy(['image', 'sign', image.ref, '--key', key, '--insecure-registry']);
    expectRefused(
      await sign(join(keys, 'nowhere.key')),
      /cannot read signing key .*nowhere\.key: ENOENT.*archy image keygen --out/,
    );

    mkdirSync(join(keys, 'loose'));
    const loose = join(keys, 'loose', 'cosign.key');
    copyFileSync(join(keys, 'good', 'cosign.key'), loose);
    chmodSync(loose, 0o644);
    expectRefused(await sign(loose), /readable by other users \(mode 644\).*chmod 600/);

    // cosign's own password-encrypted format: archy does not read it, and says what to do.
    const encrypted = join(keys, 'encrypted.key');
    writeFileSync(
      encrypted,
      '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nZXhhbXBsZQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n',
      { mode: 0o600 },
    );
    expectRefused(await sign(encrypted), /cosign's encrypted key format.*archy image keygen --out/);

    const rsa = join(keys, 'rsa.key');
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(rsa, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expectRefused(await sign(rsa), /is a rsa key; image signatures use ECDSA P-256 keys/);

    expect(await signatureOf(image.ref, image.digest)).toBeUndefined();
    expectRefused(await archy(['image', 'sign', image.ref]), /--key <file>/);
  });

  it('a malformed reference, an image not in the registry, an unreachable registry', async () => {
    const key = join(keys, 'good', 'cosign.key');
    const sign = (ref: string, ...more: string[]) =>
      archy(['image', 'sign', ref, '--key', key, '--insecure-registry', ...more]);
    expectRefused(await sign('Not A Reference'), /is not a valid image reference/);
    expectRefused(
      await sign(`${registry()}/archy-test/signing/never-pushed-${uniqueAppId('x')}:1.0.0`),
      /does not exist; check the image name and tag/,
    );
    const closed = await freePort();
    expectRefused(
      await sign(`127.0.0.1:${closed}/archy-test/hello:1.0.0`),
      /could not reach the registry 127\.0\.0\.1:\d+/,
    );
    // Without --insecure-registry (and not listed in ARCHY_INSECURE_REGISTRIES) it speaks HTTPS.
    expectRefused(
      await archy(['image', 'sign', image.ref, '--key', key]),
      /could not reach the registry .*list it in ARCHY_INSECURE_REGISTRIES/,
    );
    expect(await signatureOf(image.ref, image.digest)).toBeUndefined();
  });

  it('a registry that refuses the push (a real read-only docker-registry)', async () => {
    const readOnly = await startReadOnlyRegistry(tempDataDir('read-only-registry'));
    try {
      const key = join(keys, 'good', 'cosign.key');
      const ref = `${readOnly.host}/archy-test/mirrored:1.0.0`;
      expectRefused(
        await archy(['image', 'sign', ref, '--key', key, '--insecure-registry']),
        /POST \/v2\/archy-test\/mirrored\/blobs\/uploads\/ on 127\.0\.0\.1:\d+ failed: the registry does not allow this operation/,
      );
      const client = new RegistryClient({ registry: readOnly.host, insecure: true });
      expect(await client.getManifest('archy-test/mirrored', signatureTag(readOnly.digest))).toBeUndefined();
    } finally {
      await readOnly.stop();
    }
  });
});

/**
 * Debian's docker-registry on a port of its own, holding a copy of hello, then restarted in
 * read-only (maintenance) mode: it serves pulls and refuses every push, like a read-only mirror.
 */
async function startReadOnlyRegistry(
  root: string,
): Promise<{ host: string; digest: Digest; stop(): Promise<void> }> {
  const host = `127.0.0.1:${await freePort()}`;
  const start = (readOnly: boolean): ChildProcess => {
    const config = join(root, `config-${readOnly ? 'ro' : 'rw'}.yml`);
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log: { level: warn }',
        'storage:',
        `  filesystem: { rootdirectory: ${JSON.stringify(join(root, 'data'))} }`,
        `  maintenance: { readonly: { enabled: ${readOnly} }, uploadpurging: { enabled: false } }`,
        `http: { addr: ${JSON.stringify(host)}, secret: archipelago-tests }`,
        '',
      ].join('\n'),
    );
    const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
    // Ended at file end even when a test fails before its finally, and on the worker's exit.
    trackProcess(child, `docker-registry on ${host}`);
    return child;
  };
  const stop = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const answers = async (): Promise<boolean> =>
    fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) }).then(
      (res) => res.status === 200,
      () => false,
    );

  const writable = start(false);
  let digest: Digest;
  try {
    await waitFor(answers, { what: `a docker-registry on ${host}`, timeoutMs: 15_000 });
    digest = await copyHello(new RegistryClient({ registry: host, insecure: true }), 'archy-test/mirrored');
  } finally {
    await stop(writable);
  }
  const readOnly = start(true);
  await waitFor(answers, { what: `the read-only docker-registry on ${host}`, timeoutMs: 15_000 });
  return { host, digest, stop: () => stop(readOnly) };
}
