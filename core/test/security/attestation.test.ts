import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../../src/api/contract.js';
import {
  CYCLONEDX_PREDICATE_TYPE,
  RegistryClient,
  attestImage,
  attestationRefusalReason,
  attestationTag,
  createSigningKeyPair,
  imageRefusalReason,
  signImage,
  verifyAttestation,
  verifyImage,
  type Digest,
  type SigningKeyPair,
} from '../../src/security/image-signing/index.js';
import { attestationLayerDescriptor } from '../../src/security/image-signing/attestation-manifest.js';
import type { DsseEnvelope } from '../../src/security/image-signing/dsse.js';
import {
  buildSignatureConfig,
  buildSignatureManifest,
} from '../../src/security/image-signing/signature-manifest.js';
import { buildSbom, debianOriginOf, listRootfsFiles, type SbomFile } from '../../src/security/sbom/index.js';
import { ArchyError } from '../../src/kernel/index.js';
import { helloImage, registry, tempDataDir, uniqueAppId } from '../support/index.js';

/**
 * SBOM attestations in cosign's layout against the real test registry: a real SBOM (of a tiny
 * rootfs with this host's busybox, looked up in this host's dpkg) attached to a private copy of a
 * test image, then verified, and refused when tampered with, signed by another key, or replayed
 * onto another image. Each test uses its own repository (test-attest/<unique id>).
 *
 * Not covered here: interop with the real `cosign` binary, which is not installed on these
 * machines (and cannot be fetched: no internet). The layout follows cosign's attestation spec
 * and its `attest` code (see attest-image.ts).
 */

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
let client: RegistryClient;
let publisher: SigningKeyPair;
let stranger: SigningKeyPair;
let sbom: Record<string, unknown>;

beforeAll(async () => {
  client = new RegistryClient({ registry: registry(), insecure: true });
  publisher = createSigningKeyPair();
  stranger = createSigningKeyPair();
  sbom = JSON.parse((await realSbom()).json) as Record<string, unknown>;
});

/** The SBOM of a two-file rootfs: Debian's busybox (origin from dpkg) and a generated /etc/passwd. */
async function realSbom() {
  const root = tempDataDir('attest-rootfs');
  await mkdir(join(root, 'bin'));
  await mkdir(join(root, 'etc'));
  await writeFile(join(root, 'bin/busybox'), await readFile('/bin/busybox'));
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const listing = await listRootfsFiles(root);
  const debian = await debianOriginOf(['/bin/busybox']);
  const files: SbomFile[] = listing.files.map((f) => ({
    ...f,
    origin:
      f.path === '/bin/busybox' ? debian.get('/bin/busybox')! : { kind: 'generated', by: 'attestation test' },
  }));
  return buildSbom({
    subject: { name: `${registry()}/test-attest/sbom`, version: '1.0.0' },
    createdAt: new Date('2026-01-01T00:00:00Z'),
    files,
  });
}

/** Copies a test image (manifest + blobs) into its own repository; returns ref and digest. */
async function privateCopy(
  source: string,
  name: string,
): Promise<{ ref: string; repo: string; digest: Digest }> {
  const repo = `test-attest/${uniqueAppId(name)}`;
  const [srcRepo, srcTag] = source.slice(registry().length + 1).split(':') as [string, string];
  const manifest = (await client.getManifest(srcRepo, srcTag))!;
  const parsed = JSON.parse(manifest.bytes.toString()) as {
    config: { digest: Digest };
    layers: { digest: Digest }[];
  };
  for (const { digest } of [parsed.config, ...parsed.layers])
    await client.pushBlob(repo, await client.getBlob(srcRepo, digest, { maxBytes: 64 * 1024 * 1024 }));
  const digest = await client.putManifest(repo, '1.0.0', manifest.bytes, manifest.mediaType);
  return { ref: `${registry()}/${repo}:1.0.0`, repo, digest };
}

const attest = (ref: string, pair: SigningKeyPair, predicate = sbom) =>
  attestImage({
    imageRef: ref,
    predicateType: CYCLONEDX_PREDICATE_TYPE,
    predicate,
    privateKeyPem: pair.privateKeyPem,
    insecure: true,
  });

const verify = (ref: string, trusted: string[] = [publisher.publicKeyPem]) =>
  verifyAttestation({
    imageRef: ref,
    trustedKeys: trusted,
    predicateType: CYCLONEDX_PREDICATE_TYPE,
    insecure: true,
  });

async function refusal(promise: Promise<unknown>): Promise<ArchyError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeInstanceOf(ArchyError);
  expect((err as ArchyError).code).toBe(RpcErrorCode.ImageUnavailable);
  return err as ArchyError;
}

interface AttestationManifest {
  mediaType: string;
  config: { mediaType: string; digest: Digest };
  layers: { mediaType: string; digest: Digest; size: number; annotations: Record<string, string> }[];
}

async function attestationManifest(repo: string, digest: Digest): Promise<AttestationManifest> {
  const found = await client.getManifest(repo, attestationTag(digest));
  expect(found, `no manifest at ${attestationTag(digest)}`).toBeDefined();
  return JSON.parse(found!.bytes.toString()) as AttestationManifest;
}

/** Replaces the attestation manifest of `digest` by one with these envelopes as layers. */
async function pushEnvelopes(repo: string, digest: Digest, envelopes: Buffer[]): Promise<void> {
  const layers = envelopes.map((e) => attestationLayerDescriptor(e, CYCLONEDX_PREDICATE_TYPE));
  const config = buildSignatureConfig(layers);
  for (const e of envelopes) await client.pushBlob(repo, e);
  await client.pushBlob(repo, config);
  await client.putManifest(
    repo,
    attestationTag(digest),
    buildSignatureManifest(config, layers),
    OCI_MANIFEST,
  );
}

describe('SBOM attestations', () => {
  it('are stored as cosign stores them and verify to the SBOM itself', async () => {
    const { ref, repo, digest } = await privateCopy(helloImage('1.0.0'), 'attested');
    const result = await attest(ref, publisher);
    expect(result).toMatchObject({
      digest,
      keyId: publisher.keyId,
      predicateType: CYCLONEDX_PREDICATE_TYPE,
      attestationCount: 1,
      alreadyAttested: false,
      attestationRef: `${registry()}/${repo}:sha256-${digest.slice(7)}.att`,
    });

    // The wire format: an OCI manifest at .att whose one layer is a DSSE envelope of an in-toto statement.
    const manifest = await attestationManifest(repo, digest);
    expect(manifest.mediaType).toBe(OCI_MANIFEST);
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0]!.mediaType).toBe('application/vnd.dsse.envelope.v1+json');
    expect(manifest.layers[0]!.annotations).toEqual({
      'dev.cosignproject.cosign/signature': '',
      predicateType: 'https://cyclonedx.org/bom',
    });
    const envelope = JSON.parse(
      (await client.getBlob(repo, manifest.layers[0]!.digest, { maxBytes: 1 << 24 })).toString(),
    ) as DsseEnvelope;
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(envelope.signatures).toEqual([{ keyid: '', sig: expect.stringMatching(/^ME[QUY]/) }]);
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as Record<
      string,
      unknown
    >;
    expect(statement).toEqual({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: 'https://cyclonedx.org/bom',
      subject: [{ name: `${registry()}/${repo}`, digest: { sha256: digest.slice(7) } }],
      predicate: sbom,
    });

    const verified = await verify(ref);
    expect(verified).toMatchObject({
      digest,
      reference: `${registry()}/${repo}@${digest}`,
      signedBy: publisher.keyId,
      predicateType: CYCLONEDX_PREDICATE_TYPE,
    });
    expect(verified.predicate).toEqual(sbom);
    const busybox = (verified.predicate.components as { name: string; purl?: string }[]).find(
      (c) => c.name === 'busybox-static',
    );
    expect(busybox?.purl).toMatch(/^pkg:deb\/debian\/busybox-static@/);
    // By digest too.
    await expect(verify(`${registry()}/${repo}@${digest}`)).resolves.toMatchObject({ digest });
  });

  it('attesting again adds nothing; another attestation is appended, and signatures live on beside them', async () => {
    const { ref, repo, digest } = await privateCopy(helloImage('1.0.0'), 'appended');
    await attest(ref, publisher);
    await expect(attest(ref, publisher)).resolves.toMatchObject({
      alreadyAttested: true,
      attestationCount: 1,
    });
    const second = await attest(ref, stranger, {
      ...sbom,
      serialNumber: 'urn:uuid:00000000-0000-5000-8000-000000000000',
    });
    expect(second).toMatchObject({ alreadyAttested: false, attestationCount: 2 });
    expect((await attestationManifest(repo, digest)).layers).toHaveLength(2);
    await signImage({ imageRef: ref, privateKeyPem: publisher.privateKeyPem, registryInsecure: true });

    expect((await verify(ref)).predicate).toEqual(sbom);
    expect((await verify(ref, [stranger.publicKeyPem])).predicate).toMatchObject({
      serialNumber: 'urn:uuid:00000000-0000-5000-8000-000000000000',
    });
    await expect(
      verifyImage({ imageRef: ref, trustedKeys: [publisher.publicKeyPem], insecure: true }),
    ).resolves.toMatchObject({ digest });
  });

  it('refuses an image without attestations', async () => {
    const { ref } = await privateCopy(helloImage('1.0.0'), 'unattested');
    const err = await refusal(verify(ref));
    expect(attestationRefusalReason(err)).toBe('no-attestation');
    expect(imageRefusalReason(err)).toBeUndefined();
    expect(err.message).toMatch(
      new RegExp(`^image ${ref} has no attestations: there is nothing at .*\\.att`),
    );
  });

  it('refuses a tampered envelope: the signature kept, the SBOM in it edited', async () => {
    const { ref, repo, digest } = await privateCopy(helloImage('1.0.0'), 'tampered');
    await attest(ref, publisher);
    const manifest = await attestationManifest(repo, digest);
    const envelope = JSON.parse(
      (await client.getBlob(repo, manifest.layers[0]!.digest, { maxBytes: 1 << 24 })).toString(),
    ) as DsseEnvelope;
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as {
      predicate: { components: unknown[] };
    };
    statement.predicate.components = []; // hide what the image holds
    const tampered = { ...envelope, payload: Buffer.from(JSON.stringify(statement)).toString('base64') };
    await pushEnvelopes(repo, digest, [Buffer.from(JSON.stringify(tampered))]);

    const err = await refusal(verify(ref));
    expect(attestationRefusalReason(err)).toBe('attestation-untrusted');
    expect(err.message).toMatch(/none signed by a trusted key/);
  });

  it('refuses an attestation by a key that is not trusted', async () => {
    const { ref } = await privateCopy(helloImage('1.0.0'), 'wrong-key');
    await attest(ref, stranger);
    const err = await refusal(verify(ref));
    expect(attestationRefusalReason(err)).toBe('attestation-untrusted');
    await expect(verify(ref, [stranger.publicKeyPem, publisher.publicKeyPem])).resolves.toMatchObject({
      signedBy: stranger.keyId,
    });
  });

  it('refuses a genuine attestation replayed onto another image (subject digest mismatch)', async () => {
    const attested = await privateCopy(helloImage('1.0.0'), 'replay-source');
    const target = await privateCopy(helloImage('1.1.0'), 'replay-target');
    expect(target.digest).not.toBe(attested.digest);
    await attest(attested.ref, publisher);
    const manifest = await attestationManifest(attested.repo, attested.digest);
    const envelope = await client.getBlob(attested.repo, manifest.layers[0]!.digest, { maxBytes: 1 << 24 });
    await pushEnvelopes(target.repo, target.digest, [envelope]);

    const err = await refusal(verify(target.ref));
    expect(attestationRefusalReason(err)).toBe('attestation-subject-mismatch');
    expect(err.message).toContain(`its subject is ${attested.digest}, but the image is ${target.digest}`);
  });
});
