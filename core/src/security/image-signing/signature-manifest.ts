import { isDigest, sha256Digest, type Digest } from './digest.js';
import { OCI_CONFIG, OCI_MANIFEST, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_LAYER } from './media-types.js';

/**
 * The OCI manifest cosign stores under `sha256-<hex>.sig`: an image with no filesystem whose
 * every layer is one simple-signing payload, its signature in the layer's annotation. Several
 * signers share one manifest, one layer each.
 */

export interface Descriptor {
  mediaType: string;
  size: number;
  digest: Digest;
  annotations?: Record<string, string>;
}

/** One signature found in a signature manifest: where its payload is, and the claimed signature. */
export interface SignatureLayer {
  payload: Descriptor;
  /** Base64 signature from the layer annotation; undefined when the layer has none. */
  signature: string | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseDescriptor(value: unknown): Descriptor | undefined {
  if (!isObject(value)) return undefined;
  const { mediaType, size, digest, annotations } = value;
  if (typeof mediaType !== 'string' || !isDigest(digest)) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  const descriptor: Descriptor = { mediaType, size, digest };
  if (isObject(annotations)) {
    const strings = Object.entries(annotations).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    );
    descriptor.annotations = Object.fromEntries(strings);
  }
  return descriptor;
}

/**
 * All layers of a signature manifest, as descriptors, so a signer can append to them without
 * losing other signers' layers (or their extra annotations such as Rekor bundles). Undefined
 * when the bytes are not an image manifest.
 */
export function parseManifestLayers(bytes: Uint8Array): Descriptor[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || parsed.schemaVersion !== 2 || !Array.isArray(parsed.layers)) return undefined;
  const layers = parsed.layers.map(parseDescriptor);
  return layers.every((l): l is Descriptor => l !== undefined) ? layers : undefined;
}

/** The simple-signing layers of a signature manifest; other layer types are not signatures and are skipped. */
export const signatureLayers = (layers: readonly Descriptor[]): SignatureLayer[] =>
  layers
    .filter((layer) => layer.mediaType === SIMPLE_SIGNING_LAYER)
    .map((layer) => ({ payload: layer, signature: layer.annotations?.[SIGNATURE_ANNOTATION] }));

/** The layer descriptor for a payload and its signature, as cosign writes it. */
export const signatureLayerDescriptor = (payload: Buffer, signatureBase64: string): Descriptor => ({
  mediaType: SIMPLE_SIGNING_LAYER,
  size: payload.length,
  digest: sha256Digest(payload),
  annotations: { [SIGNATURE_ANNOTATION]: signatureBase64 },
});

/**
 * The config blob: an empty image's config whose rootfs lists the layers, the shape
 * go-containerregistry (and so cosign) produces when appending layers to an empty image.
 * Nothing verifies it, but registries and tools expect a well-formed image config.
 */
export function buildSignatureConfig(layers: readonly Descriptor[]): Buffer {
  const epoch = '0001-01-01T00:00:00Z';
  const config = {
    architecture: '',
    created: epoch,
    history: layers.map(() => ({ created: epoch })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    config: {},
  };
  return Buffer.from(JSON.stringify(config), 'utf8');
}

/** The manifest bytes, OCI image manifest with an OCI config, fields in go-containerregistry's order. */
export function buildSignatureManifest(config: Buffer, layers: readonly Descriptor[]): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, size: config.length, digest: sha256Digest(config) },
    layers: layers.map((l) => ({
      mediaType: l.mediaType,
      size: l.size,
      digest: l.digest,
      ...(l.annotations ? { annotations: l.annotations } : {}),
    })),
  };
  return Buffer.from(JSON.stringify(manifest), 'utf8');
}
