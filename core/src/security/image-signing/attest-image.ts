import { createPublicKey } from 'node:crypto';
import { ArchyError, RpcErrorCode } from '../../kernel/index.js';
import {
  attestationLayerDescriptor,
  attestationLayers,
  attestationTag,
  MAX_ENVELOPE_BYTES,
} from './attestation-manifest.js';
import type { Digest } from './digest.js';
import { envelopeSigner, parseEnvelope, signEnvelope } from './dsse.js';
import {
  formatImageReference,
  manifestReference,
  parseImageReference,
  repositoryName,
} from './image-reference.js';
import { buildStatement } from './in-toto-statement.js';
import { DSSE_ENVELOPE_LAYER, IN_TOTO_PAYLOAD_TYPE, OCI_MANIFEST } from './media-types.js';
import { layersAtTag, registryClientFor } from './cosign-tag.js';
import { buildSignatureConfig, buildSignatureManifest, type Descriptor } from './signature-manifest.js';
import { keyIdOf, loadSigningKey } from './signing-keys.js';

export interface AttestImageOptions {
  /** The image, by tag or digest; the attestation always names the digest it resolves to. */
  imageRef: string;
  /** e.g. CYCLONEDX_PREDICATE_TYPE (`https://cyclonedx.org/bom`). */
  predicateType: string;
  /** The predicate as a JSON object, e.g. the parsed CycloneDX SBOM. */
  predicate: Record<string, unknown>;
  /** PKCS#8 (or SEC1) PEM P-256 private key, the same key images are signed with. */
  privateKeyPem: string;
  /** The registry is listed as insecure: talk plain HTTP. */
  insecure: boolean;
  timeoutMs?: number;
}

export interface AttestImageResult {
  image: string;
  /** The manifest digest the statement's subject names. */
  digest: Digest;
  /** Where the attestations live: `registry/repository:sha256-<hex>.att`. */
  attestationRef: string;
  keyId: string;
  predicateType: string;
  /** DSSE layers in that manifest now (ours and others'). */
  attestationCount: number;
  /** True when this key had already attested this exact statement and nothing was written. */
  alreadyAttested: boolean;
}

/**
 * Attaches a signed in-toto attestation to an image the way `cosign attest --key` does: an in-toto
 * Statement (subject: the image's repository at its manifest digest) in a DSSE envelope signed
 * with the cosign-format key pair, pushed as one more layer of the OCI manifest at
 * `sha256-<hex>.att`, so `cosign verify-attestation --key cosign.pub --type cyclonedx` reads it.
 * Other attestations are kept (a layer is appended, as cosign does); attesting the same statement
 * again with the same key writes nothing.
 *
 * Like signImage, two writers at the same moment can lose one layer (no compare-and-swap on tags).
 */
export async function attestImage(options: AttestImageOptions): Promise<AttestImageResult> {
  const predicate = options.predicate as unknown;
  if (typeof predicate !== 'object' || predicate === null || Array.isArray(predicate))
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      'the attestation predicate must be a JSON object (e.g. the parsed SBOM), not a string or an array',
    );
  const privateKey = loadSigningKey(options.privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  const ref = parseImageReference(options.imageRef);
  const client = registryClientFor(ref, options);

  const digest = await client.resolveDigest(ref.repository, manifestReference(ref));
  const statement = buildStatement(repositoryName(ref), digest, options.predicateType, options.predicate);
  const tag = attestationTag(digest);
  const attestationRef = `${repositoryName(ref)}:${tag}`;
  const layers = await layersAtTag(client, ref, tag, attestationRef, 'attest');
  const result = (alreadyAttested: boolean, all: readonly Descriptor[]): AttestImageResult => ({
    image: formatImageReference(ref),
    digest,
    attestationRef,
    keyId,
    predicateType: options.predicateType,
    attestationCount: all.filter((l) => l.mediaType === DSSE_ENVELOPE_LAYER).length,
    alreadyAttested,
  });

  // ECDSA signatures differ each time, so "already attested" means: an envelope of the same type
  // whose payload is byte-for-byte our statement and whose signature our key verifies.
  for (const layer of attestationLayers(layers, options.predicateType)) {
    const envelope = await client
      .getBlob(ref.repository, layer.digest, { maxBytes: MAX_ENVELOPE_BYTES })
      .catch(() => undefined); // a broken layer of someone else's is not ours to judge here
    const parsed = envelope && parseEnvelope(envelope);
    if (
      parsed?.ok &&
      parsed.envelope.payloadType === IN_TOTO_PAYLOAD_TYPE &&
      parsed.envelope.payload.equals(statement) &&
      envelopeSigner(parsed.envelope, [{ keyId, key: publicKey }])
    )
      return result(true, layers);
  }

  const envelope = signEnvelope(privateKey, IN_TOTO_PAYLOAD_TYPE, statement);
  const allLayers = [...layers, attestationLayerDescriptor(envelope, options.predicateType)];
  const config = buildSignatureConfig(allLayers);
  await client.pushBlob(ref.repository, envelope);
  await client.pushBlob(ref.repository, config);
  await client.putManifest(ref.repository, tag, buildSignatureManifest(config, allLayers), OCI_MANIFEST);
  return result(false, allLayers);
}
