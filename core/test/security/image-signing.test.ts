import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../../src/api/contract.js';
import {
  RegistryClient,
  createSigningKeyPair,
  formatImageSigned,
  formatImageVerified,
  formatKeyPairGenerated,
  generateSigningKeyPair,
  imageRefusalReason,
  readSigningKeyFile,
  signImage,
  signatureTag,
  verifyImage,
  type Digest,
  type GeneratedKeyPair,
  type SigningKeyPair,
} from '../../src/security/image-signing/index.js';
import { buildSimpleSigningPayload } from '../../src/security/image-signing/simple-signing.js';
import {
  buildSignatureConfig,
  buildSignatureManifest,
  parseManifestLayers,
  signatureLayerDescriptor,
} from '../../src/security/image-signing/signature-manifest.js';
import { loadSigningKey, signPayload } from '../../src/security/image-signing/signing-keys.js';
import { ArchyError } from '../../src/kernel/index.js';
import { podman } from '../support/podman-cli.js';
import { freePort, helloImage, registry, tempDataDir, uniqueAppId } from '../support/index.js';

/**
 * Signing and verification against the real test registry. Every test signs its own copy of a
 * test image in a repository only it uses (archy-test/signing/<unique id>), never the shared images
 * other test files pull.
 */

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
let client: RegistryClient;
let publisher: GeneratedKeyPair;
let publisherPem: string;
let stranger: SigningKeyPair;
const run = promisify(execFile);

beforeAll(async () => {
  client = new RegistryClient({ registry: registry(), insecure: true });
  publisher = await generateSigningKeyPair(join(tempDataDir('signing-keys'), 'publisher'));
  publisherPem = await readSigningKeyFile(publisher.privateKeyPath);
  stranger = createSigningKeyPair();
});

/** Copies a test image (manifest + blobs, byte for byte) into its own repository; returns ref and digest. */
async function privateCopy(
  source: string,
  name: string,
  tag = '1.0.0',
): Promise<{ ref: string; digest: Digest }> {
  const repository = `archy-test/signing/${uniqueAppId(name)}`;
  const digest = await copyManifest(source, repository, tag);
  return { ref: `${registry()}/${repository}:${tag}`, digest };
}

async function copyManifest(source: string, repository: string, tag: string): Promise<Digest> {
  const [srcRepo, srcTag] = source.slice(registry().length + 1).split(':') as [string, string];
  const manifest = (await client.getManifest(srcRepo, srcTag))!;
  const parsed = JSON.parse(manifest.bytes.toString()) as {
    config: { digest: Digest };
    layers: { digest: Digest }[];
  };
  for (const { digest } of [parsed.config, ...parsed.layers])
    await client.pushBlob(repository, await client.getBlob(srcRepo, digest, { maxBytes: 64 * 1024 * 1024 }));
  return client.putManifest(repository, tag, manifest.bytes, manifest.mediaType);
}

/**
 * Drops what our pull added to local storage: our tag, and the image itself only when every name
 * it still has is one of this file's private repositories (another test may share the image).
 */
async function removePulledCopy(imageId: string, ref: string): Promise<void> {
  await podman(['untag', imageId, ref]).catch(() => undefined);
  const names = JSON.parse(
    await podman([
      'image',
      'inspect',
      '--format',
      '[{{json .RepoTags}},{{json .RepoDigests}}]',
      imageId,
    ]).catch(() => '[["unknown"],[]]'),
  ) as [string[] | null, string[] | null];
  const all = [...(names[0] ?? []), ...(names[1] ?? [])];
  if (!all.every((name) => name.startsWith(`${registry()}/archy-test/signing/`))) return;
  // --force only because our own digest names count as "more than one tag"; never under a container.
  const users = await podman(['ps', '--all', '--quiet', '--filter', `ancestor=${imageId}`]).catch(
    () => 'unknown',
  );
  if (users.trim() === '') await podman(['rmi', '--force', imageId]).catch(() => undefined);
}

const repoOf = (ref: string): string => ref.slice(registry().length + 1, ref.lastIndexOf(':'));

async function refusal(promise: Promise<unknown>): Promise<ArchyError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeInstanceOf(ArchyError);
  expect((err as ArchyError).code).toBe(RpcErrorCode.ImageUnavailable);
  return err as ArchyError;
}

/** Pushes a signature manifest with these (payload, signature) layers at the image's .sig tag. */
async function pushSignatures(
  ref: string,
  digest: Digest,
  layers: { payload: Buffer; signature: string }[],
): Promise<void> {
  const repository = repoOf(ref);
  const descriptors = layers.map((l) => signatureLayerDescriptor(l.payload, l.signature));
  const config = buildSignatureConfig(descriptors);
  for (const l of layers) await client.pushBlob(repository, l.payload);
  await client.pushBlob(repository, config);
  await client.putManifest(
    repository,
    signatureTag(digest),
    buildSignatureManifest(config, descriptors),
    OCI_MANIFEST,
  );
}

describe('publisher keys', () => {
  it('keygen writes cosign.key (0600, PKCS#8) and cosign.pub (SPKI), and never overwrites them', async () => {
    expect((await stat(publisher.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect(publisher.privateKeyPath.endsWith('/cosign.key')).toBe(true);
    expect(publisher.publicKeyPath.endsWith('/cosign.pub')).toBe(true);
    expect(publisherPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(await readFile(publisher.publicKeyPath, 'utf8')).toBe(publisher.publicKeyPem);
    expect(formatKeyPairGenerated(publisher)).toContain(publisher.keyId);
    const dir = join(publisher.privateKeyPath, '..');
    const err = await generateSigningKeyPair(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchyError);
    expect((err as Error).message).toMatch(/already exists.*not overwritten/);
    expect(await readSigningKeyFile(publisher.privateKeyPath)).toBe(publisherPem);
  });

  it('refuses to sign with a key file others can read', async () => {
    const dir = join(tempDataDir('loose-key'), 'k');
    const pair = await generateSigningKeyPair(dir);
    await run('chmod', ['644', pair.privateKeyPath]);
    await expect(readSigningKeyFile(pair.privateKeyPath)).rejects.toThrow(
      /readable by other users.*chmod 600/,
    );
    await expect(readSigningKeyFile(join(dir, 'missing.key'))).rejects.toThrow(/ENOENT.*archy image keygen/);
  });
});

describe('signed images', () => {
  it('are accepted, by the digest podman resolves, and the signature is where cosign looks', async () => {
    const { ref, digest } = await privateCopy(helloImage('1.0.0'), 'signed');
    const signed = await signImage({ imageRef: ref, privateKeyPem: publisherPem, registryInsecure: true });
    expect(signed).toMatchObject({ digest, keyId: publisher.keyId, signatureCount: 1, alreadySigned: false });
    expect(signed.signatureRef).toBe(`${registry()}/${repoOf(ref)}:sha256-${digest.slice(7)}.sig`);
    expect(formatImageSigned(signed)).toContain(signed.signatureRef);

    // The wire format: one simple-signing layer whose blob is cosign's payload for this digest.
    const sig = (await client.getManifest(repoOf(ref), signatureTag(digest)))!;
    expect(sig.mediaType).toBe(OCI_MANIFEST);
    const manifest = JSON.parse(sig.bytes.toString()) as {
      config: { mediaType: string };
      layers: { mediaType: string; digest: Digest; annotations: Record<string, string> }[];
    };
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0]!.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    expect(manifest.layers[0]!.annotations['dev.cosignproject.cosign/signature']).toMatch(/^MEU|^MEQ|^MEY/);
    const payload = await client.getBlob(repoOf(ref), manifest.layers[0]!.digest, { maxBytes: 4096 });
    expect(payload.toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"${registry()}/${repoOf(ref)}"},` +
        `"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`,
    );

    const verified = await verifyImage({
      imageRef: ref,
      trustedKeys: [publisher.publicKeyPem],
      insecure: true,
    });
    expect(verified).toEqual({
      digest,
      reference: `${registry()}/${repoOf(ref)}@${digest}`,
      signedBy: publisher.keyId,
    });
    expect(formatImageVerified(verified)).toContain(verified.reference);

    // Podman agrees on the digest and can pull exactly that reference.
    const imageId = (await podman(['pull', '--quiet', '--tls-verify=false', ref])).trim();
    try {
      const repoDigests = JSON.parse(
        await podman(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref]),
      ) as string[];
      expect(repoDigests).toContain(verified.reference);
      expect((await podman(['pull', '--quiet', '--tls-verify=false', verified.reference])).trim()).toBe(
        imageId,
      );
    } finally {
      await removePulledCopy(imageId, ref);
    }
  });

  it('are accepted when pinned by digest too', async () => {
    const { ref, digest } = await privateCopy(helloImage('1.0.0'), 'pinned');
    await signImage({ imageRef: ref, privateKeyPem: publisherPem, registryInsecure: true });
    const pinned = `${registry()}/${repoOf(ref)}@${digest}`;
    const verified = await verifyImage({
      imageRef: pinned,
      trustedKeys: [publisher.publicKeyPem],
      insecure: true,
    });
    expect(verified.reference).toBe(pinned);
  });

  it('two signatures, one trusted: accepted; signing again with the same key adds nothing', async () => {
    const { ref, digest } = await privateCopy(helloImage('1.0.0'), 'two-sigs');
    await signImage({ imageRef: ref, privateKeyPem: stranger.privateKeyPem, registryInsecure: true });
    const second = await signImage({ imageRef: ref, privateKeyPem: publisherPem, registryInsecure: true });
    expect(second).toMatchObject({ signatureCount: 2, alreadySigned: false });
    const again = await signImage({ imageRef: ref, privateKeyPem: publisherPem, registryInsecure: true });
    expect(again).toMatchObject({ signatureCount: 2, alreadySigned: true });
    expect(formatImageSigned(again)).toMatch(/already signed/);

    const sig = (await client.getManifest(repoOf(ref), signatureTag(digest)))!;
    expect(parseManifestLayers(sig.bytes)).toHaveLength(2);
    for (const [trusted, keyId] of [
      [publisher.publicKeyPem, publisher.keyId],
      [stranger.publicKeyPem, stranger.keyId],
    ] as const) {
      const verified = await verifyImage({ imageRef: ref, trustedKeys: [trusted], insecure: true });
      expect(verified.signedBy).toBe(keyId);
    }
    const third = createSigningKeyPair();
    const err = await refusal(
      verifyImage({ imageRef: ref, trustedKeys: [third.publicKeyPem], insecure: true }),
    );
    expect(imageRefusalReason(err)).toBe('untrusted');
    expect(err.message).toMatch(/2 signature\(s\) checked/);
  });
});

describe('refused images (fail closed)', () => {
  it('unsigned', async () => {
    const { ref, digest } = await privateCopy(helloImage('1.0.0'), 'unsigned');
    const err = await refusal(
      verifyImage({ imageRef: ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    );
    expect(imageRefusalReason(err)).toBe('unsigned');
    expect(err.message).toMatch(new RegExp(`^image ${ref} is not signed`));
    expect(err.message).toContain(signatureTag(digest));
    expect(err.message).toMatch(/ARCHY_UNSIGNED_REGISTRIES/);
  });

  it('signed with an untrusted key', async () => {
    const { ref } = await privateCopy(helloImage('1.0.0'), 'untrusted');
    await signImage({ imageRef: ref, privateKeyPem: stranger.privateKeyPem, registryInsecure: true });
    const err = await refusal(
      verifyImage({ imageRef: ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    );
    expect(imageRefusalReason(err)).toBe('untrusted');
    expect(err.message).toMatch(/is signed, but not by a trusted key/);
  });

  it('a tampered payload: the trusted signature kept, the payload edited to name another image', async () => {
    const { ref, digest } = await privateCopy(helloImage('1.0.0'), 'tampered');
    const other = await privateCopy(helloImage('1.1.0'), 'tampered-other');
    await signImage({ imageRef: ref, privateKeyPem: publisherPem, registryInsecure: true });
    const sig = (await client.getManifest(repoOf(ref), signatureTag(digest)))!;
    const signature = parseManifestLayers(sig.bytes)![0]!.annotations!['dev.cosignproject.cosign/signature']!;
    // Point the other image's signature tag at a payload naming it, with the signature stolen from ours.
    const forged = buildSimpleSigningPayload(`${registry()}/${repoOf(other.ref)}`, other.digest);
    await pushSignatures(other.ref, other.digest, [{ payload: forged, signature }]);
    const err = await refusal(
      verifyImage({ imageRef: other.ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    );
    expect(imageRefusalReason(err)).toBe('untrusted');
    // And the edit in place: our own tag, payload rewritten to another digest, signature kept.
    const edited = buildSimpleSigningPayload(`${registry()}/${repoOf(ref)}`, other.digest);
    await pushSignatures(ref, digest, [{ payload: edited, signature }]);
    const err2 = await refusal(
      verifyImage({ imageRef: ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    );
    expect(imageRefusalReason(err2)).toBe('untrusted');
  });

  it('a tag moved to other content after signing, and a signature replayed onto it (digest mismatch)', async () => {
    const { ref, digest } = await privateCopy(helloImage('1.0.0'), 'moved');
    await signImage({ imageRef: ref, privateKeyPem: publisherPem, registryInsecure: true });
    const movedTo = await copyManifest(helloImage('1.1.0'), repoOf(ref), '1.0.0');
    expect(movedTo).not.toBe(digest);

    const err = await refusal(
      verifyImage({ imageRef: ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    );
    expect(imageRefusalReason(err)).toBe('unsigned');

    // The attacker copies the genuine signature manifest to the new digest's .sig tag.
    const sig = (await client.getManifest(repoOf(ref), signatureTag(digest)))!;
    await client.putManifest(repoOf(ref), signatureTag(movedTo), sig.bytes, sig.mediaType);
    const err2 = await refusal(
      verifyImage({ imageRef: ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    );
    expect(imageRefusalReason(err2)).toBe('digest-mismatch');
    expect(err2.message).toContain(`it signs ${digest}, but the image is ${movedTo}`);

    // What was signed is still verifiable by its digest.
    const pinned = await verifyImage({
      imageRef: `${registry()}/${repoOf(ref)}@${digest}`,
      trustedKeys: [publisher.publicKeyPem],
      insecure: true,
    });
    expect(pinned.digest).toBe(digest);
  });

  it('a genuine signature copied from another repository (identity mismatch)', async () => {
    const signedCopy = await privateCopy(helloImage('1.0.0'), 'identity-a');
    const target = await privateCopy(helloImage('1.0.0'), 'identity-b');
    expect(target.digest).toBe(signedCopy.digest);
    await signImage({ imageRef: signedCopy.ref, privateKeyPem: publisherPem, registryInsecure: true });
    const sig = (await client.getManifest(repoOf(signedCopy.ref), signatureTag(signedCopy.digest)))!;
    const layers = parseManifestLayers(sig.bytes)!;
    for (const layer of layers)
      await client.pushBlob(
        repoOf(target.ref),
        await client.getBlob(repoOf(signedCopy.ref), layer.digest, { maxBytes: 4096 }),
      );
    await pushSignatures(
      target.ref,
      target.digest,
      await Promise.all(
        layers.map(async (l) => ({
          payload: await client.getBlob(repoOf(signedCopy.ref), l.digest, { maxBytes: 4096 }),
          signature: l.annotations!['dev.cosignproject.cosign/signature']!,
        })),
      ),
    );
    const err = await refusal(
      verifyImage({ imageRef: target.ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    );
    expect(imageRefusalReason(err)).toBe('identity-mismatch');
    expect(err.message).toContain(`made for ${registry()}/${repoOf(signedCopy.ref)}`);
  });

  it('a malformed payload, even when signed by a trusted key', async () => {
    const { ref, digest } = await privateCopy(helloImage('1.0.0'), 'malformed');
    const payload = Buffer.from(
      `{"critical":{"image":{"docker-manifest-digest":"${digest}"}},"optional":null}`,
    );
    const signature = signPayload(loadSigningKey(publisherPem), payload);
    await pushSignatures(ref, digest, [{ payload, signature }]);
    const err = await refusal(
      verifyImage({ imageRef: ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    );
    expect(imageRefusalReason(err)).toBe('malformed');
    expect(err.message).toMatch(/payload is malformed/);
  });

  it('a signature tag holding something that is not a signature manifest', async () => {
    const { ref, digest } = await privateCopy(helloImage('1.0.0'), 'junk-sig');
    // The image's own manifest stored at its .sig tag: a manifest, but no cosign layers.
    const image = (await client.getManifest(repoOf(ref), digest))!;
    await client.putManifest(repoOf(ref), signatureTag(digest), image.bytes, image.mediaType);
    const err = await refusal(
      verifyImage({ imageRef: ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    );
    expect(imageRefusalReason(err)).toBe('unsigned');
    await expect(
      signImage({ imageRef: ref, privateKeyPem: publisherPem, registryInsecure: true }),
    ).resolves.toMatchObject({ signatureCount: 1 });
    await expect(
      verifyImage({ imageRef: ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    ).resolves.toMatchObject({ digest });
  });

  it('no trusted keys at all', async () => {
    const err = await refusal(
      verifyImage({ imageRef: helloImage('1.0.0'), trustedKeys: [], insecure: true }),
    );
    expect(err.message).toMatch(/no trusted signing keys.*cosign\.pub/);
  });

  it('a missing image or an unreachable registry, with what to check', async () => {
    const missing = `${registry()}/archy-test/signing/${uniqueAppId('missing')}:1.0.0`;
    const err = await refusal(
      verifyImage({ imageRef: missing, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    );
    expect(err.message).toMatch(/does not exist; check the image name and tag/);
    const port = await freePort();
    const err2 = await refusal(
      verifyImage({
        imageRef: `127.0.0.1:${port}/archy-test/x:1`,
        trustedKeys: [publisher.publicKeyPem],
        insecure: true,
      }),
    );
    expect(err2.message).toMatch(/could not reach the registry 127\.0\.0\.1:\d+ \(ECONNREFUSED/);
  });

  it('HTTPS to a plain-HTTP registry fails, hinting at ARCHY_INSECURE_REGISTRIES', async () => {
    const err = await refusal(
      verifyImage({ imageRef: helloImage('1.0.0'), trustedKeys: [publisher.publicKeyPem], insecure: false }),
    );
    expect(err.message).toMatch(/ARCHY_INSECURE_REGISTRIES/);
  });
});

/**
 * Failures the real registry cannot be made to produce (auth, lying headers, oversized
 * answers): a stand-in HTTP server on loopback plays a misbehaving registry.
 */
describe('registry client against a misbehaving registry (stand-in server)', () => {
  let server: Server;
  let host: string;
  const manifest = Buffer.from(
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}',
  );

  beforeAll(async () => {
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    server = createServer((req, res) => {
      const url = req.url ?? '';
      if (url.includes('/auth/')) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="https://auth.example/token"' }).end();
      } else if (url.includes('/lying/')) {
        res.writeHead(200, {
          'content-type': OCI_MANIFEST,
          'docker-content-digest': `sha256:${'0'.repeat(64)}`,
        });
        res.end(manifest);
      } else if (url.includes('/bydigest/')) {
        res.writeHead(200, { 'content-type': OCI_MANIFEST }).end(manifest);
      } else if (url.includes('/huge/')) {
        res.writeHead(200, { 'content-type': OCI_MANIFEST });
        res.end(Buffer.alloc(5 * 1024 * 1024, 0x20));
      } else if (url.includes('/schema1/')) {
        res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
        res.end('{"schemaVersion":1}');
      } else if (url.includes('/blobs/')) {
        res.writeHead(200).end('not what the digest says');
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      }
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  const standIn = (): RegistryClient => new RegistryClient({ registry: host, insecure: true });

  it('says authentication is not supported yet on 401', async () => {
    const err = await refusal(standIn().getManifest('auth/app', '1'));
    expect(err.message).toMatch(/requires authentication, which is not supported yet/);
  });

  it('refuses a manifest whose digest header disagrees with its bytes', async () => {
    const err = await refusal(standIn().getManifest('lying/app', '1'));
    expect(err.message).toMatch(/digest header sha256:0+, but its bytes hash to sha256:/);
  });

  it('refuses a manifest served for a digest it does not have', async () => {
    const wrong = `sha256:${'1'.repeat(64)}`;
    const err = await refusal(standIn().getManifest('bydigest/app', wrong));
    expect(err.message).toMatch(/answered bydigest\/app@sha256:1+ with content whose digest is sha256:/);
  });

  it('refuses oversized manifests, unsupported manifest types and blobs that do not match their digest', async () => {
    await expect(standIn().getManifest('huge/app', '1')).rejects.toThrow(/more than 4194304 bytes/);
    await expect(standIn().getManifest('schema1/app', '1')).rejects.toThrow(/prettyjws.*cannot verify/);
    await expect(standIn().getBlob('x/app', `sha256:${'2'.repeat(64)}`, { maxBytes: 1024 })).rejects.toThrow(
      /content hashing to sha256:/,
    );
    expect(await standIn().getManifest('none/app', '1')).toBeUndefined();
  });
});

/**
 * Interoperability with real cosign, when a cosign binary is installed (it is not on these
 * machines, and tests must not download it; the known-answer spec beside the code checks a
 * cosign-made signature instead).
 */
describe('cosign interop', () => {
  const cosign = process.env.ARCHY_COSIGN ?? 'cosign';
  let haveCosign = false;
  beforeAll(async () => {
    haveCosign = await run(cosign, ['version']).then(
      () => true,
      () => false,
    );
  });

  it('cosign verify --key accepts what we sign', async (ctx) => {
    if (!haveCosign) ctx.skip();
    const { ref } = await privateCopy(helloImage('1.0.0'), 'cosign-interop');
    await signImage({ imageRef: ref, privateKeyPem: publisherPem, registryInsecure: true });
    // Key-pair signatures without a transparency log entry need --insecure-ignore-tlog.
    await run(cosign, [
      'verify',
      '--key',
      publisher.publicKeyPath,
      '--insecure-ignore-tlog=true',
      '--allow-http-registry=true',
      ref,
    ]);
  });
});
