import { createPublicKey } from 'node:crypto';
import { signatureTag, type Digest } from './digest.js';
import {
  formatImageReference,
  manifestReference,
  parseImageReference,
  repositoryName,
} from './image-reference.js';
import { OCI_MANIFEST } from './media-types.js';
import { layersAtTag, registryClientFor } from './cosign-tag.js';
import { buildSimpleSigningPayload } from './simple-signing.js';
import {
  buildSignatureConfig,
  buildSignatureManifest,
  signatureLayerDescriptor,
  signatureLayers,
} from './signature-manifest.js';
import { keyIdOf, loadSigningKey, signPayload, verifyPayloadSignature } from './signing-keys.js';

export interface SignImageOptions {
  /** The image to sign, by tag or digest; the signature always covers the digest it resolves to. */
  imageRef: string;
  /** PKCS#8 (or SEC1) PEM P-256 private key, e.g. the cosign.key from archy image keygen. */
  privateKeyPem: string;
  /** The registry is listed as insecure: talk plain HTTP. */
  registryInsecure: boolean;
  timeoutMs?: number;
}

export interface SignImageResult {
  /** The image as given. */
  image: string;
  /** The manifest digest that was signed. */
  digest: Digest;
  /** Where the signatures live: `registry/repository:sha256-<hex>.sig`. */
  signatureRef: string;
  keyId: string;
  /** Signatures in that manifest now (ours and others'). */
  signatureCount: number;
  /** True when this key had already signed this digest and nothing was written. */
  alreadySigned: boolean;
}

/**
 * Signs an image in cosign's key-pair format and stores the signature next to it in the
 * registry, so both `archy` and `cosign verify --key cosign.pub` accept it. Existing signatures
 * by other keys are kept (a new layer is appended, as cosign does); signing again with the same
 * key is a no-op.
 *
 * Two signers writing the same image at the same moment can lose one signature (the registry
 * has no compare-and-swap on tags); publishers sign one at a time.
 */
export async function signImage(options: SignImageOptions): Promise<SignImageResult> {
  const privateKey = loadSigningKey(options.privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  const ref = parseImageReference(options.imageRef);
  const client = registryClientFor(ref, { insecure: options.registryInsecure, timeoutMs: options.timeoutMs });

  const digest = await client.resolveDigest(ref.repository, manifestReference(ref));
  const payload = buildSimpleSigningPayload(repositoryName(ref), digest);
  const tag = signatureTag(digest);
  const signatureRef = `${repositoryName(ref)}:${tag}`;
  const layers = await layersAtTag(client, ref, tag, signatureRef, 'sign');
  const result = (alreadySigned: boolean, count: number): SignImageResult => ({
    image: formatImageReference(ref),
    digest,
    signatureRef,
    keyId,
    signatureCount: count,
    alreadySigned,
  });

  // Our payload is deterministic, so a layer with its digest is this exact claim; if our key's
  // signature on it verifies, this key already signed this digest (ECDSA signatures differ each
  // time, so comparing signatures would not tell).
  const payloadLayer = signatureLayerDescriptor(payload, signPayload(privateKey, payload));
  const ours = signatureLayers(layers).some(
    (l) =>
      l.payload.digest === payloadLayer.digest &&
      l.signature !== undefined &&
      verifyPayloadSignature(publicKey, payload, l.signature),
  );
  if (ours) return result(true, signatureLayers(layers).length);

  const allLayers = [...layers, payloadLayer];
  const config = buildSignatureConfig(allLayers);
  await client.pushBlob(ref.repository, payload);
  await client.pushBlob(ref.repository, config);
  await client.putManifest(ref.repository, tag, buildSignatureManifest(config, allLayers), OCI_MANIFEST);
  return result(false, signatureLayers(allLayers).length);
}
